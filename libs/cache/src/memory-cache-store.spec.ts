import { describe, expect, it } from 'vitest';
import type { CachedResponse } from './cached-response.js';
import { MemoryCacheStore } from './memory-cache-store.js';

const entry = (bytes: number, staleUntil = Number.MAX_SAFE_INTEGER): CachedResponse => ({
  status: 200,
  headers: {},
  body: Buffer.alloc(bytes),
  etag: '"e"',
  storedAt: 0,
  freshUntil: staleUntil,
  staleUntil,
  versions: '',
});

describe('MemoryCacheStore', () => {
  it('stays within its byte bound, dropping the least recently used entries and counting them', async () => {
    let evicted = 0;
    const store = new MemoryCacheStore(3_000, (count) => (evicted += count));
    await store.write('a', entry(800));
    await store.write('b', entry(800));
    await store.read('a', []);
    await store.write('c', entry(800));
    expect(store.bytes).toBeLessThanOrEqual(3_000);
    expect(evicted).toBe(0);
    await store.write('d', entry(800));
    expect(evicted).toBe(1);
    expect((await store.read('b', [])).entry).toBeUndefined();
    expect((await store.read('a', [])).entry).toBeDefined();
    expect(store.bytes).toBeLessThanOrEqual(3_000);
  });

  it('forgets entries whose stale window has passed', async () => {
    let now = 0;
    const store = new MemoryCacheStore(10_000, () => undefined, () => now);
    await store.write('a', entry(10, 100));
    expect((await store.read('a', [])).entry).toBeDefined();
    now = 100;
    expect((await store.read('a', [])).entry).toBeUndefined();
    expect(store.bytes).toBe(0);
  });

  it('versions tags, and grants a refresh lock to one caller at a time', async () => {
    const store = new MemoryCacheStore(10_000);
    const before = (await store.read('a', ['tables', 'route:x'])).versions;
    await store.invalidate(['tables']);
    expect((await store.read('a', ['tables', 'route:x'])).versions).not.toBe(before);
    expect(await store.lock('k', 1_000)).toBe(true);
    expect(await store.lock('k', 1_000)).toBe(false);
    expect(await store.lock('other', 1_000)).toBe(true);
  });
});
