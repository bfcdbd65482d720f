import type { RegistryEntry, ServiceInstance } from './service-instance.js';

export const DISCOVERY_KINDS = ['static', 'redis', 'etcd', 'dns', 'kubernetes', 'consul'] as const;

export type DiscoveryKind = (typeof DISCOVERY_KINDS)[number];

/** Where a provider's watch reports what it reads. */
export interface WatchSink {
  /** The service's whole current list, each time the registry says it changed (duplicates are harmless). */
  update(entries: readonly RegistryEntry[]): void;
  /** The registry could not be read; the last known list stays in use until the next `update`. */
  unreachable(error: Error): void;
}

export interface ProviderWatch {
  close(): void | Promise<void>;
}

/**
 * The registrant's side, for registries that services write to themselves (redis, etcd, consul).
 * `announce` runs on every heartbeat, so it must create the entry when the registry lost it
 * (a restarted Redis, an expired etcd lease, a Consul agent that forgot the service).
 */
export interface Registrar {
  /** Creates the entry or renews it; the registry drops it `ttlMs` after the last successful call. */
  announce(instance: ServiceInstance, ttlMs: number): Promise<void>;
  /** Removes the entry now, so watchers drop the instance without waiting for it to expire. */
  withdraw(instance: ServiceInstance): Promise<void>;
}

/** One registry technology: watches services for the gateway, and registers the services that can register themselves. */
export interface DiscoveryProvider {
  readonly kind: DiscoveryKind;
  /** Starts watching one service; the sink hears about it until the watch closes. */
  watch(service: string, sink: WatchSink): ProviderWatch;
  /** Absent where the platform registers instances itself (static, dns, kubernetes). */
  readonly registrar?: Registrar;
  /** Closes connections; watches and registrations must be closed first. */
  close(): Promise<void>;
}
