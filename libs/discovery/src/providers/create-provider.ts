import type { DiscoveryProvider } from '../discovery-provider.js';
import type { DiscoverySettings } from '../discovery-config.js';
import { ConsulProvider } from './consul-provider.js';
import { DnsProvider } from './dns-provider.js';
import { loadKubeConfig, watchedNamespace } from './kubernetes-config.js';
import { KubernetesProvider } from './kubernetes-provider.js';
import { RedisProvider } from './redis-provider.js';
import { StaticProvider } from './static-provider.js';

/**
 * The provider `settings.kind` names; its checks across variables (`checkDiscovery`) have already passed.
 * Async so a provider may connect first; a setting no provider accepts rejects rather than throws.
 */
export function createProvider(settings: DiscoverySettings): Promise<DiscoveryProvider> {
  return Promise.resolve().then(() => providerFor(settings));
}

function providerFor(settings: DiscoverySettings): DiscoveryProvider {
  switch (settings.kind) {
    case 'static':
      return new StaticProvider(settings.static);
    case 'redis':
      return new RedisProvider({ url: required(settings.redisUrl, 'REDIS_URL'), prefix: settings.prefix });
    case 'consul':
      return new ConsulProvider(settings.consul);
    case 'dns':
      return new DnsProvider(settings.dns);
    case 'kubernetes': {
      const kubeConfig = loadKubeConfig();
      return new KubernetesProvider({
        kubeConfig,
        namespace: watchedNamespace(settings.kubernetes.namespace, kubeConfig),
        portName: settings.kubernetes.portName,
      });
    }
    case 'etcd':
      throw new Error(`DISCOVERY=${settings.kind} is not available yet`);
  }
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`${name} is required by the chosen discovery provider`);
  return value;
}
