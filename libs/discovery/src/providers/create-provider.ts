import type { DiscoveryProvider } from '../discovery-provider.js';
import type { DiscoverySettings } from '../discovery-config.js';
import { ConsulProvider } from './consul-provider.js';
import { DnsProvider } from './dns-provider.js';
import { RedisProvider } from './redis-provider.js';
import { StaticProvider } from './static-provider.js';

/**
 * The provider `settings.kind` names; its checks across variables (`checkDiscovery`) have already passed.
 * Async so a provider may load or connect first; a setting no provider accepts rejects rather than throws.
 */
export async function createProvider(settings: DiscoverySettings): Promise<DiscoveryProvider> {
  switch (settings.kind) {
    case 'static':
      return new StaticProvider(settings.static);
    case 'redis':
      return new RedisProvider({ url: required(settings.redisUrl, 'REDIS_URL'), prefix: settings.prefix });
    case 'etcd': {
      // Loaded on demand like the Kubernetes client: etcd3 adds about 70 ms to every app's start.
      const { EtcdProvider } = await import('./etcd-provider.js');
      return new EtcdProvider({ urls: required(settings.etcdUrls, 'ETCD_URL'), prefix: settings.prefix });
    }
    case 'consul':
      return new ConsulProvider(settings.consul);
    case 'dns':
      return new DnsProvider(settings.dns);
    case 'kubernetes': {
      // @kubernetes/client-node takes about 1.4 s and 80 MiB to load: only apps that use it pay for it.
      const { kubernetesProvider } = await import('./kubernetes-setup.js');
      return kubernetesProvider(settings.kubernetes);
    }
  }
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`${name} is required by the chosen discovery provider`);
  return value;
}
