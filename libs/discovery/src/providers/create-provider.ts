import type { DiscoveryProvider } from '../discovery-provider.js';
import type { DiscoverySettings } from '../discovery-config.js';
import { RedisProvider } from './redis-provider.js';
import { StaticProvider } from './static-provider.js';

/** The provider `settings.kind` names; its checks across variables (`checkDiscovery`) have already passed. */
export function createProvider(settings: DiscoverySettings): Promise<DiscoveryProvider> {
  switch (settings.kind) {
    case 'static':
      return Promise.resolve(new StaticProvider(settings.static));
    case 'redis':
      return Promise.resolve(new RedisProvider({ url: required(settings.redisUrl, 'REDIS_URL'), prefix: settings.prefix }));
    case 'etcd':
    case 'dns':
    case 'kubernetes':
    case 'consul':
      return Promise.reject(new Error(`DISCOVERY=${settings.kind} is not available yet`));
  }
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`${name} is required by the chosen discovery provider`);
  return value;
}
