export const CACHE_MODULE_OPTIONS = Symbol('CACHE_MODULE_OPTIONS');

export interface CacheModuleOptions {
  /** Off: `@Cache()` and route `cache:` blocks are ignored (invalidations still apply). */
  enabled: boolean;
  maxEntryBytes: number;
  /** Bound of the in-memory store used without Redis. */
  memoryMaxBytes: number;
  statuses: readonly number[];
  /**
   * Whether a handler's result may be stored at all, beyond the HTTP rules: the application's say,
   * e.g. never a partial aggregate, which would keep showing the outage after the backend is back.
   */
  storable?: (result: unknown) => boolean;
  /** Redis key namespace; every key is `{<namespace>}:…`. */
  namespace?: string;
}
