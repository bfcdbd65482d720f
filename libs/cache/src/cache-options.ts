export const CACHE_MODULE_OPTIONS = Symbol('CACHE_MODULE_OPTIONS');

export interface CacheModuleOptions {
  /** Off: `@Cache()` and route `cache:` blocks are ignored (invalidations still apply). */
  enabled: boolean;
  maxEntryBytes: number;
  /** Bound of the in-memory store used without Redis. */
  memoryMaxBytes: number;
  statuses: readonly number[];
  /** Redis key namespace; every key is `{<namespace>}:…`. */
  namespace?: string;
}
