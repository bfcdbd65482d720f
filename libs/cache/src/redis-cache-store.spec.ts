import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CachedResponse } from './cached-response.js';
import { CacheInvalidator } from './cache-invalidator.js';
import { RedisCacheStore } from './redis-cache-store.js';

// Against the real Redis on 127.0.0.1:6379, each test in a namespace of its own, removed afterwards.
describe('RedisCacheStore', () => {
  let redis: Redis;
  let namespace: string;
  let store: RedisCacheStore;

  beforeAll(() => {
    redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  });

  afterEach(async () => {
    const keys = await redis.keys(`{${namespace}}:*`);
    if (keys.length > 0) await redis.del(...keys);
  });

  afterAll(async () => {
    await redis.quit();
  });

  const fresh = () => {
    namespace = `spec:cache:${randomUUID()}`;
    store = new RedisCacheStore(redis, namespace);
    return store;
  };

  const entry = (body: Buffer, versions: string): CachedResponse => {
    const storedAt = Date.now();
    return { status: 203, headers: { 'content-type': 'application/octet-stream', vary: 'accept' }, body, etag: '"abc"', storedAt, freshUntil: storedAt + 1_000, staleUntil: storedAt + 60_000, versions };
  };

  it('stores an entry with its binary body intact, under a hash-tagged key that expires with the stale window', async () => {
    const cache = fresh();
    const { entry: none, versions } = await cache.read('key1', ['tables', 'route:r']);
    expect(none).toBeUndefined();
    expect(versions).toBe(',');
    const body = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
    await cache.write('key1', entry(body, versions));
    const { entry: read } = await cache.read('key1', ['tables', 'route:r']);
    expect(read?.body.equals(body)).toBe(true);
    expect(read).toMatchObject({ status: 203, headers: { 'content-type': 'application/octet-stream', vary: 'accept' }, etag: '"abc"', versions: ',' });
    const ttl = await redis.pttl(`{${namespace}}:e:key1`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('gives invalidated tags a new version, read in the same round trip as the entry', async () => {
    const cache = fresh();
    const before = (await cache.read('k', ['tables', 'other'])).versions;
    await cache.invalidate(['tables']);
    const after = (await cache.read('k', ['tables', 'other'])).versions;
    expect(after).not.toBe(before);
    expect(after.endsWith(',')).toBe(true);
    expect(await redis.get(cache.tagKey('tables'))).toBe(after.split(',')[0]);
    await cache.invalidate(['tables']);
    expect((await cache.read('k', ['tables', 'other'])).versions).not.toBe(after);
  });

  it('lets one caller hold a refresh lock until it expires', async () => {
    const cache = fresh();
    expect(await cache.lock('k', 200)).toBe(true);
    expect(await cache.lock('k', 200)).toBe(false);
    expect(await cache.lock('other', 200)).toBe(true);
    const ttl = await redis.pttl(`{${namespace}}:l:k`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(200);
  });

  it('is what CacheInvalidator writes to, so a service’s invalidation reaches every gateway', async () => {
    const cache = fresh();
    const before = (await cache.read('k', ['tables'])).versions;
    expect(await new CacheInvalidator(redis, namespace).invalidateTags(['tables'])).toBe(true);
    expect((await cache.read('k', ['tables'])).versions).not.toBe(before);
    expect(await new CacheInvalidator(undefined).invalidateTags(['tables'])).toBe(true);
  });

  it('fails fast, and CacheInvalidator reports false, when Redis is unreachable', async () => {
    fresh();
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    down.on('error', () => undefined);
    try {
      await expect(new RedisCacheStore(down, namespace).read('k', ['tables'])).rejects.toThrow();
      expect(await new CacheInvalidator(down, namespace).invalidateTags(['tables'])).toBe(false);
    } finally {
      down.disconnect();
    }
  });
});
