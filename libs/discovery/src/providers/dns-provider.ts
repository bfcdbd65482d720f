import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import type { DiscoveryProvider, ProviderWatch, WatchSink } from '../discovery-provider.js';
import { DnsWatch } from './dns-watch.js';
import { srvQueryName, type ResolvedSrvRecord } from './srv-records.js';
import { OpenWatches } from './open-watches.js';

export interface DnsProviderOptions {
  /** `ip` or `ip:port` (`[::1]:5353` for IPv6); the system resolvers when absent. */
  server?: string;
  /** Contains `{service}`, e.g. `_grpc._tcp.{service}.ns.svc.cluster.local`. */
  srvName: string;
  refreshMs: number;
  /** A server's first try gets this long to answer; the retry gets at most twice as long. */
  queryTimeoutMs?: number;
}

/** Answers that say the name has no such records (NXDOMAIN, NODATA): an empty list, not a fault. */
const NO_RECORDS = new Set(['ENOTFOUND', 'ENODATA']);

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

/**
 * Instances from DNS SRV records, as Kubernetes headless services and Consul publish them: the
 * platform writes the records, so there is no registrar. DNS cannot push changes, so each watch
 * polls; a server that times out, refuses or fails (SERVFAIL) leaves the last list in use.
 */
export class DnsProvider implements DiscoveryProvider {
  readonly kind = 'dns';
  private readonly resolver: dns.Resolver;
  private readonly watches = new OpenWatches<DnsWatch>();

  constructor(private readonly options: DnsProviderOptions) {
    const timeout = options.queryTimeoutMs ?? 1_000;
    this.resolver = new dns.Resolver({ timeout, tries: 2, maxTimeout: timeout * 2 });
    if (options.server === undefined) return;
    try {
      this.resolver.setServers([options.server]);
    } catch (error) {
      throw new Error(`DNS_SERVER=${options.server} is not an IP address with an optional port`, { cause: error });
    }
  }

  watch(service: string, sink: WatchSink): ProviderWatch {
    const name = srvQueryName(this.options.srvName, service);
    const watch = new DnsWatch(name, () => this.lookup(name), sink, this.options.refreshMs);
    watch.start();
    return this.watches.track(watch);
  }

  close(): Promise<void> {
    const closed = this.watches.closeAll();
    // Queries still in flight would keep the process alive until they time out.
    this.resolver.cancel();
    return closed;
  }

  /** The SRV records of `name` with their targets' addresses; rejects when any query went unanswered. */
  private async lookup(name: string): Promise<ResolvedSrvRecord[]> {
    const records = await this.resolver.resolveSrv(name).catch((error: unknown) => {
      if (NO_RECORDS.has(errorCode(error))) return [];
      throw error;
    });
    const targets = [...new Set(records.map((record) => record.name))];
    // Settled, not raced: a failed lookup must not leave queries running into the next poll.
    const settled = await Promise.allSettled(targets.map((target) => this.addresses(target)));
    const addresses = new Map<string, readonly string[]>();
    for (const [index, result] of settled.entries()) {
      if (result.status === 'rejected') throw result.reason;
      addresses.set(targets[index]!, result.value);
    }
    return records.map((record) => ({ ...record, addresses: addresses.get(record.name) ?? [] }));
  }

  /** A target's IPv4 addresses, or its IPv6 ones when it has no A record; `[]` for a name that does not resolve. */
  private async addresses(target: string): Promise<readonly string[]> {
    if (target === '' || target === '.') return [];
    if (isIP(target) !== 0) return [target];
    for (const query of [() => this.resolver.resolve4(target), () => this.resolver.resolve6(target)]) {
      try {
        return await query();
      } catch (error) {
        // EBADNAME: a target c-ares will not even ask for is bad data in the zone, not a DNS outage.
        if (!NO_RECORDS.has(errorCode(error)) && errorCode(error) !== 'EBADNAME') throw error;
      }
    }
    return [];
  }
}
