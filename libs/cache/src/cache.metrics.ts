import { Counter, Gauge, type Registry } from 'prom-client';

export type LookupOutcome = 'hit' | 'miss' | 'stale' | 'bypass';

/** What the cache did, by policy (the route), and whether its shared store is down. */
export class CacheMetrics {
  private readonly lookups: Counter<'policy' | 'outcome'>;
  private readonly stores: Counter<'policy' | 'outcome'>;
  private readonly storedBytes: Counter<'policy'>;
  private readonly evictions: Counter;
  private readonly refreshes: Counter<'policy' | 'outcome'>;
  private readonly coalesced: Counter<'policy'>;
  private readonly invalidations: Counter<'source'>;
  private readonly degraded: Gauge;
  private readonly storeFailures: Counter;

  constructor(registry: Registry, memoryBytes?: () => number) {
    this.lookups = new Counter({
      name: 'cache_lookups_total',
      help: 'Cache lookups, by policy and outcome (hit, miss, stale, bypass).',
      labelNames: ['policy', 'outcome'] as const,
      registers: [registry],
    });
    this.stores = new Counter({
      name: 'cache_stores_total',
      help: 'Backend answers offered to the cache, by policy and outcome (stored, or why not: status, no-store, private, set-cookie, vary, authorization, too-large, declined, failed).',
      labelNames: ['policy', 'outcome'] as const,
      registers: [registry],
    });
    this.storedBytes = new Counter({
      name: 'cache_stored_bytes_total',
      help: 'Body bytes written to the cache, by policy.',
      labelNames: ['policy'] as const,
      registers: [registry],
    });
    this.evictions = new Counter({
      name: 'cache_evictions_total',
      help: 'Entries the in-memory store dropped to make room (Redis evictions show in its own INFO stats).',
      registers: [registry],
    });
    this.refreshes = new Counter({
      name: 'cache_refreshes_total',
      help: 'Stale-while-revalidate refreshes, by policy and outcome (stored, not-stored).',
      labelNames: ['policy', 'outcome'] as const,
      registers: [registry],
    });
    this.coalesced = new Counter({
      name: 'cache_coalesced_total',
      help: 'Misses answered by another request’s backend call for the same key, by policy.',
      labelNames: ['policy'] as const,
      registers: [registry],
    });
    this.invalidations = new Counter({
      name: 'cache_invalidations_total',
      help: 'Tags and routes invalidated, by source (admin, handler).',
      labelNames: ['source'] as const,
      registers: [registry],
    });
    this.degraded = new Gauge({
      name: 'cache_degraded',
      help: 'Whether the shared cache store is unavailable (1): requests then bypass the cache.',
      registers: [registry],
    });
    this.storeFailures = new Counter({
      name: 'cache_store_failures_total',
      help: 'Cache store calls that failed or timed out.',
      registers: [registry],
    });
    if (memoryBytes) {
      new Gauge({
        name: 'cache_memory_bytes',
        help: 'Bytes the in-memory cache store holds.',
        registers: [registry],
        collect() {
          this.set(memoryBytes());
        },
      });
    }
  }

  looked(policy: string, outcome: LookupOutcome): void {
    this.lookups.inc({ policy, outcome });
  }

  offered(policy: string, outcome: string, bytes = 0): void {
    this.stores.inc({ policy, outcome });
    if (bytes > 0) this.storedBytes.inc({ policy }, bytes);
  }

  evicted(count: number): void {
    this.evictions.inc(count);
  }

  refreshed(policy: string, outcome: string): void {
    this.refreshes.inc({ policy, outcome });
  }

  joined(policy: string): void {
    this.coalesced.inc({ policy });
  }

  invalidated(source: string, count: number): void {
    this.invalidations.inc({ source }, count);
  }

  storeFailed(): void {
    this.storeFailures.inc();
  }

  setDegraded(degraded: boolean): void {
    this.degraded.set(degraded ? 1 : 0);
  }
}
