import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { decodeEntry, encodeEntry, type CachedResponse } from './cached-response.js';
import type { CacheRead, CacheStore } from './cache-store.js';

/**
 * Entries and tag versions in Redis, shared by every gateway instance and by the services that
 * invalidate. Every key of a namespace carries the same hash tag, `{portico:cache}`: a lookup reads
 * the entry and its tag versions in one pipeline, and Redis Cluster only runs multi-key commands
 * within one slot. The price is that one namespace lives on one Cluster shard; give deployments that
 * outgrow a shard one namespace per route group.
 */
export class RedisCacheStore implements CacheStore {
  private readonly entryPrefix: string;
  private readonly tagPrefix: string;
  private readonly lockPrefix: string;
  /** Each policy's tag list keeps its Redis keys, built on first use rather than on every lookup. */
  private readonly tagKeys = new WeakMap<readonly string[], string[]>();

  /** `timeoutMs` bounds every call: a Redis that hangs must not stall requests the backend could answer. */
  constructor(
    private readonly redis: Redis,
    namespace = 'portico:cache',
    private readonly timeoutMs = 250,
  ) {
    this.entryPrefix = `{${namespace}}:e:`;
    this.tagPrefix = `{${namespace}}:t:`;
    this.lockPrefix = `{${namespace}}:l:`;
  }

  /** The Redis key holding a tag's version. */
  tagKey(tag: string): string {
    return this.tagPrefix + tag;
  }

  async read(key: string, tags: readonly string[]): Promise<CacheRead> {
    const pipeline = this.redis.pipeline().getBuffer(this.entryPrefix + key);
    if (tags.length > 0) pipeline.mget(this.tagKeysOf(tags));
    const results = await this.bounded(pipeline.exec());
    if (!results) throw new Error('cache read was not executed');
    const [entryResult, versionsResult] = results;
    if (entryResult?.[0]) throw entryResult[0];
    if (versionsResult?.[0]) throw versionsResult[0];
    const value = entryResult?.[1] as Buffer | null;
    const versions = ((versionsResult?.[1] as (string | null)[] | undefined) ?? []).map((version) => version ?? '').join(',');
    return { entry: value ? decodeEntry(value) : undefined, versions };
  }

  async write(key: string, entry: CachedResponse): Promise<void> {
    const ttl = Math.max(1, entry.staleUntil - entry.storedAt);
    await this.bounded(this.redis.set(this.entryPrefix + key, encodeEntry(entry), 'PX', ttl));
  }

  /**
   * A fresh random version rather than a counter: a tag key lost to eviction or a flush can then
   * never come back to a value some old entry recorded.
   */
  async invalidate(tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    const version = randomBytes(8).toString('base64url');
    await this.bounded(this.redis.mset(Object.fromEntries(tags.map((tag) => [this.tagPrefix + tag, version]))));
  }

  async lock(key: string, ttlMs: number): Promise<boolean> {
    return (await this.bounded(this.redis.set(this.lockPrefix + key, '1', 'PX', ttlMs, 'NX'))) === 'OK';
  }

  private tagKeysOf(tags: readonly string[]): string[] {
    let keys = this.tagKeys.get(tags);
    if (!keys) {
      keys = tags.map((tag) => this.tagPrefix + tag);
      this.tagKeys.set(tags, keys);
    }
    return keys;
  }

  private async bounded<T>(command: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`cache store took longer than ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([command, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
