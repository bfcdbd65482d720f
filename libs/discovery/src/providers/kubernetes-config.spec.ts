import { KubeConfig } from '@kubernetes/client-node';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadKubeConfig, watchedNamespace } from './kubernetes-config.js';

function kubeConfigFile(namespace?: string): string {
  return JSON.stringify({
    clusters: [{ name: 'elsewhere', cluster: { server: 'https://k8s.example:6443' } }],
    users: [{ name: 'reader', user: { token: 'secret' } }],
    contexts: [{ name: 'main', context: { cluster: 'elsewhere', user: 'reader', ...(namespace !== undefined && { namespace }) } }],
    'current-context': 'main',
  });
}

describe('kubernetes config', () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'portico-kube-'));
    await writeFile(join(directory, 'with-namespace'), kubeConfigFile('shop'));
    await writeFile(join(directory, 'without-namespace'), kubeConfigFile());
    await writeFile(join(directory, 'pod-namespace'), 'payments\n');
  });

  afterAll(() => rm(directory, { recursive: true, force: true }));
  afterEach(() => vi.unstubAllEnvs());

  it('loads KUBECONFIG even inside a pod', () => {
    vi.stubEnv('KUBECONFIG', join(directory, 'with-namespace'));
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '10.96.0.1');
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe('https://k8s.example:6443');
  });

  it('uses the pod’s service account without KUBECONFIG', () => {
    vi.stubEnv('KUBECONFIG', '');
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '10.96.0.1');
    vi.stubEnv('KUBERNETES_SERVICE_PORT', '443');
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe('https://10.96.0.1:443');
  });

  it('refuses to start with no cluster to talk to', () => {
    vi.stubEnv('KUBECONFIG', '');
    vi.stubEnv('KUBERNETES_SERVICE_HOST', '');
    vi.stubEnv('HOME', directory);
    expect(() => loadKubeConfig()).toThrow(/needs a cluster/);
  });

  describe('watchedNamespace', () => {
    const fromFile = (name: string) => {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(join(directory, name));
      return kubeConfig;
    };

    it('takes KUBERNETES_NAMESPACE first', () => {
      expect(watchedNamespace('games', fromFile('with-namespace'), join(directory, 'pod-namespace'))).toBe('games');
    });

    it('then the pod’s own namespace', () => {
      expect(watchedNamespace(undefined, fromFile('with-namespace'), join(directory, 'pod-namespace'))).toBe('payments');
    });

    it('then the kubeconfig context’s', () => {
      expect(watchedNamespace(undefined, fromFile('with-namespace'), join(directory, 'absent'))).toBe('shop');
    });

    it('else default', () => {
      expect(watchedNamespace(undefined, fromFile('without-namespace'), join(directory, 'absent'))).toBe('default');
    });
  });
});
