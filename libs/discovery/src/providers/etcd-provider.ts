import { Etcd3, EtcdLeaseInvalidError, type Lease } from 'etcd3';
import type { DiscoveryProvider, ProviderWatch, Registrar, WatchSink } from '../discovery-provider.js';
import type { ServiceInstance } from '../service-instance.js';
import { etcdEndpoints, instanceKey, leaseSeconds, serviceKeyPrefix } from './etcd-keys.js';
import { EtcdWatch } from './etcd-watch.js';
import { OpenWatches } from './open-watches.js';

export interface EtcdProviderOptions {
  /** ETCD_URL's URLs; the client spreads calls over them and skips one that fails. */
  urls: readonly string[];
  /** Namespaces keys: `/<prefix>/discovery/<service>/<instanceId>`. */
  prefix: string;
  /** Longest one request (list, put, keepalive, revoke) may take before it counts as a failure. */
  requestTimeoutMs?: number;
}

/** One announced instance: its lease, and the TTL that lease was granted with. */
interface Registration {
  lease: Lease;
  ttlSeconds: number;
}

/**
 * Registry in etcd: an instance is a key holding `{address, weight, metadata}` as JSON, attached
 * to a lease of the instance's own, so etcd deletes it when the heartbeats stop. Watchers list the
 * service's prefix and follow etcd's watch stream from there.
 */
export class EtcdProvider implements DiscoveryProvider, Registrar {
  readonly kind = 'etcd';
  readonly registrar = this;
  private readonly client: Etcd3;
  private readonly registrations = new Map<string, Registration>();
  private readonly watches = new OpenWatches<EtcdWatch>();
  private readonly requestTimeoutMs: number;

  constructor(private readonly options: EtcdProviderOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    this.client = new Etcd3({
      ...etcdEndpoints(options.urls),
      // A stopped etcd host must fail calls, not hang them: heartbeats and relists retry on their own.
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + this.requestTimeoutMs }),
      grpcOptions: {
        // Notice a dead connection (a host gone without closing it) while the watch stream is idle.
        'grpc.keepalive_time_ms': 15_000,
        'grpc.keepalive_timeout_ms': 5_000,
        // Reconnect soon after etcd comes back rather than after gRPC's default two-minute backoff ceiling.
        'grpc.max_reconnect_backoff_ms': 5_000,
      },
    });
  }

  /**
   * The first call grants a lease and puts the key on it. Later calls renew the lease once (the
   * caller's heartbeat drives renewal, so no keepalive runs in the background) and put the key
   * again only if it no longer holds this value on this lease. A lease etcd no longer knows
   * (expired while this process was paused or cut off, or revoked) is replaced by a new one.
   */
  async announce(instance: ServiceInstance, ttlMs: number): Promise<void> {
    const key = instanceKey(this.options.prefix, instance.service, instance.id);
    const value = JSON.stringify({ address: instance.address, weight: instance.weight, metadata: instance.metadata });
    const ttlSeconds = leaseSeconds(ttlMs);
    const current = this.registrations.get(key);
    if (current && current.ttlSeconds === ttlSeconds && !current.lease.revoked()) {
      try {
        // A stream call, so the default deadline for requests does not cover it.
        await current.lease.keepaliveOnce({ deadline: Date.now() + this.requestTimeoutMs });
        await this.putUnlessHeld(key, value, await current.lease.grant());
        return;
      } catch (error) {
        if (!(error instanceof EtcdLeaseInvalidError)) throw error;
      }
    }
    // A lease replaced for a new TTL holds no key once the put below moves it; left alone, it expires.
    const lease = this.client.lease(ttlSeconds, { autoKeepAlive: false });
    this.registrations.set(key, { lease, ttlSeconds });
    await lease.put(key).value(value);
  }

  /** Revoking the lease deletes the key with it; without a lease of ours, the key is deleted directly. */
  async withdraw(instance: ServiceInstance): Promise<void> {
    const key = instanceKey(this.options.prefix, instance.service, instance.id);
    const registration = this.registrations.get(key);
    this.registrations.delete(key);
    if (registration) await registration.lease.revoke();
    else await this.client.delete().key(key);
  }

  watch(service: string, sink: WatchSink): ProviderWatch {
    const watch = new EtcdWatch(this.client, serviceKeyPrefix(this.options.prefix, service), sink);
    watch.start();
    return this.watches.track(watch);
  }

  async close(): Promise<void> {
    await this.watches.closeAll();
    // Leases left are released, not revoked: their keys expire with the TTL, like a crashed process's.
    for (const { lease } of this.registrations.values()) lease.release();
    this.registrations.clear();
    this.client.close();
  }

  /**
   * One read-only transaction on every heartbeat: it writes only when the key is missing or holds
   * something else, e.g. after an operator deleted it or the put following a grant failed.
   */
  private async putUnlessHeld(key: string, value: string, leaseId: string): Promise<void> {
    await this.client
      .if(key, 'Lease', '==', leaseId)
      .and(key, 'Value', '==', value)
      .else(this.client.put(key).value(value).lease(leaseId))
      .commit();
  }
}
