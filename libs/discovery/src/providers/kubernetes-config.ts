import { KubeConfig } from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
export const POD_NAMESPACE_FILE = `${SERVICE_ACCOUNT}/namespace`;

/**
 * Where the API server is and how to authenticate: an explicit KUBECONFIG first (so a pod can
 * be pointed at another cluster, and tests at a fake API server), then the pod's service account
 * when running in a cluster, then `~/.kube/config`. Finding none fails at boot, instead of the
 * client library's silent fallback to http://localhost:8080.
 */
export function loadKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  // Read from process.env, not a parameter: loadFromDefault reads KUBECONFIG from there itself.
  const explicit = Boolean(process.env['KUBECONFIG']);
  if (!explicit && process.env['KUBERNETES_SERVICE_HOST']) {
    kubeConfig.loadFromCluster();
    return kubeConfig;
  }
  if (!explicit && !existsSync(join(homedir(), '.kube', 'config'))) {
    throw new Error('DISCOVERY=kubernetes needs a cluster: run in a pod (KUBERNETES_SERVICE_HOST), or set KUBECONFIG');
  }
  // Merges a colon-separated KUBECONFIG list as kubectl does.
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

/** The namespace whose EndpointSlices are watched: KUBERNETES_NAMESPACE, else the pod's own, else the kubeconfig context's, else `default`. */
export function watchedNamespace(configured: string | undefined, kubeConfig: KubeConfig, podNamespaceFile = POD_NAMESPACE_FILE): string {
  if (configured !== undefined) return configured;
  const podNamespace = existsSync(podNamespaceFile) ? readFileSync(podNamespaceFile, 'utf8').trim() : '';
  if (podNamespace !== '') return podNamespace;
  return kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
}
