import { LRUCache } from 'lru-cache';
import { entrySize, type CachedResponse } from './cached-response.js';
import type { CacheRead, CacheStore } from './cache-store.js';

/**
 * Entries in this process, bounded by bytes: the least recently used go first when a new one does not
 * fit. Used when there is no REDIS_URL; each instance then caches, and invalidates, on its own.
 */
export class MemoryCacheStore implements CacheStore {
  private readonly entries: LRUCache<string, CachedResponse>;
  private readonly versions = new Map<string, number>();
  private readonly locks: LRUCache<string, true>;

  constructor(
    maxBytes: number,
    private readonly onEvict: (count: number) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = new LRUCache<string, CachedResponse>({
      maxSize: maxBytes,
      sizeCalculation: entrySize,
      // Expiry is checked on read; lru-cache's own TTL timers would cost a timer per entry.
      dispose: (_entry, _key, reason) => {
        if (reason === 'evict') this.onEvict(1);
      },
    });
    this.locks = new LRUCache<string, true>({ max: 10_000, ttl: 60_000, ttlAutopurge: false });
  }

  /** Bytes held now, for the stored-bytes gauge. */
  get bytes(): number {
    return this.entries.calculatedSize;
  }

  read(key: string, tags: readonly string[]): Promise<CacheRead> {
    let entry = this.entries.get(key);
    if (entry && entry.staleUntil <= this.now()) {
      this.entries.delete(key);
      entry = undefined;
    }
    return Promise.resolve({ entry, versions: this.versionsOf(tags) });
  }

  write(key: string, entry: CachedResponse): Promise<void> {
    this.entries.set(key, entry);
    return Promise.resolve();
  }

  invalidate(tags: readonly string[]): Promise<void> {
    for (const tag of tags) this.versions.set(tag, (this.versions.get(tag) ?? 0) + 1);
    return Promise.resolve();
  }

  lock(key: string, ttlMs: number): Promise<boolean> {
    if (this.locks.has(key)) return Promise.resolve(false);
    this.locks.set(key, true, { ttl: ttlMs });
    return Promise.resolve(true);
  }

  private versionsOf(tags: readonly string[]): string {
    let joined = '';
    for (const tag of tags) joined += `${this.versions.get(tag) ?? 0},`;
    return joined;
  }
}
