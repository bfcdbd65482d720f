import type { DiscoverySettings } from '../discovery-config.js';
import { loadKubeConfig, watchedNamespace } from './kubernetes-config.js';
import { KubernetesProvider } from './kubernetes-provider.js';

/** The Kubernetes provider from settings; its own module, so the client library loads only when chosen. */
export function kubernetesProvider(settings: DiscoverySettings['kubernetes']): KubernetesProvider {
  const kubeConfig = loadKubeConfig();
  return new KubernetesProvider({
    kubeConfig,
    namespace: watchedNamespace(settings.namespace, kubeConfig),
    portName: settings.portName,
  });
}
