import type { CachedResponse } from './cached-response.js';

export const CACHE_STORE = Symbol('CACHE_STORE');

export interface CacheRead {
  entry: CachedResponse | undefined;
  /** The current versions of the tags asked for, in order, joined: what a new entry records. */
  versions: string;
}

/** Where entries and tag versions live: Redis shared by every instance, or this process's memory. */
export interface CacheStore {
  /** The entry under `key` and the current versions of `tags`, in one round trip. */
  read(key: string, tags: readonly string[]): Promise<CacheRead>;
  /** Keeps the entry until its stale window ends. */
  write(key: string, entry: CachedResponse): Promise<void>;
  /** Gives each tag a new version, so every entry stored under the old one stops being served. */
  invalidate(tags: readonly string[]): Promise<void>;
  /** True for the one caller that may refresh `key` in the next `ttlMs`. */
  lock(key: string, ttlMs: number): Promise<boolean>;
}
