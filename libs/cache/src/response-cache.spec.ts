import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { CachedResponse } from './cached-response.js';
import type { CacheableRequest } from './cache-key.js';
import { compileCachePolicy, type CacheOptions } from './cache-policy.js';
import type { CacheRead, CacheStore } from './cache-store.js';
import { CacheMetrics } from './cache.metrics.js';
import { MemoryCacheStore } from './memory-cache-store.js';
import { ResponseCache, type CacheLookup } from './response-cache.js';

const SETTINGS = { enabled: true, statuses: new Set([200, 204, 404]), maxEntryBytes: 1_024 };

function setup(store?: CacheStore) {
  let now = 1_000_000;
  const registry = new Registry();
  const clock = () => now;
  const cache = new ResponseCache(store ?? new MemoryCacheStore(1_000_000, () => undefined, clock), SETTINGS, new CacheMetrics(registry), clock);
  return { cache, registry, advance: (ms: number) => (now += ms) };
}

const request = (user = 'alice'): CacheableRequest => ({ method: 'GET', url: '/tables/t1', user, header: () => undefined });
const policy = (options: Partial<CacheOptions> = {}) => compileCachePolicy({ ttl: '10s', tags: ['tables'], ...options }, 'tables');

/** A backend that counts its calls and answers when told to. */
function fakeBackend() {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const backend = { calls: 0, release, gate };
  return backend;
}

async function storeAnswer(cache: ResponseCache, lookup: CacheLookup, body: string, options: Partial<CacheOptions> = {}) {
  const entry = cache.entryFor(policy(options), lookup, { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body) });
  if (!entry) throw new Error('expected a storable answer');
  await cache.save(policy(options), lookup, entry);
  return entry;
}

const counter = async (registry: Registry, name: string, labels: Record<string, string>) => {
  const metric = (await registry.getMetricsAsJSON()).find((candidate) => candidate.name === name);
  const value = metric?.values.find((candidate) => Object.entries(labels).every(([key, label]) => candidate.labels[key] === label));
  return value?.value ?? 0;
};

describe('ResponseCache', () => {
  it('misses, then hits while fresh, serves stale within the window, then misses again', async () => {
    const { cache, advance, registry } = setup();
    const swr = { staleWhileRevalidate: '5s' };
    const miss = await cache.lookup(policy(swr), request());
    expect(miss.state).toBe('miss');
    const entry = await storeAnswer(cache, miss, '{"seats":1}', swr);
    expect(entry.etag).toMatch(/^"[\w-]{27}"$/);

    const hit = await cache.lookup(policy(swr), request());
    expect(hit.state).toBe('fresh');
    expect(hit.entry?.body.toString()).toBe('{"seats":1}');
    advance(10_000);
    expect((await cache.lookup(policy(swr), request())).state).toBe('stale');
    advance(5_000);
    expect((await cache.lookup(policy(swr), request())).state).toBe('miss');
    expect(await counter(registry, 'cache_lookups_total', { policy: 'tables', outcome: 'hit' })).toBe(1);
    expect(await counter(registry, 'cache_lookups_total', { policy: 'tables', outcome: 'stale' })).toBe(1);
  });

  it('never serves an entry stored before its tag or route was invalidated, not even stale', async () => {
    const { cache } = setup();
    const swr = { staleWhileRevalidate: '1m' };
    await storeAnswer(cache, await cache.lookup(policy(swr), request()), 'old', swr);
    await cache.invalidate(['tables'], [], 'handler');
    expect((await cache.lookup(policy(swr), request())).state).toBe('miss');

    await storeAnswer(cache, await cache.lookup(policy(swr), request()), 'new', swr);
    expect((await cache.lookup(policy(swr), request())).state).toBe('fresh');
    await cache.invalidate([], ['tables'], 'admin');
    expect((await cache.lookup(policy(swr), request())).state).toBe('miss');
  });

  it('records the versions read before the backend was asked: an invalidation meanwhile wins over the slower write', async () => {
    const { cache } = setup();
    const before = await cache.lookup(policy(), request());
    await cache.invalidate(['tables'], [], 'handler');
    await storeAnswer(cache, before, 'read before the write');
    expect((await cache.lookup(policy(), request())).state).toBe('miss');
  });

  it('keeps one user’s entry from another unless public', async () => {
    const { cache } = setup();
    await storeAnswer(cache, await cache.lookup(policy(), request('alice')), 'alice’s');
    expect((await cache.lookup(policy(), request('bob'))).state).toBe('miss');
    await storeAnswer(cache, await cache.lookup(policy({ public: true }), request('alice')), 'everyone’s', { public: true });
    expect((await cache.lookup(policy({ public: true }), request('bob'))).entry?.body.toString()).toBe('everyone’s');
  });

  it('refuses answers the rules do not allow, and bodies over the entry limit', async () => {
    const { cache, registry } = setup();
    const lookup = await cache.lookup(policy({ public: true }), request());
    expect(cache.entryFor(policy(), lookup, { status: 500, headers: {}, body: Buffer.from('x') })).toBeUndefined();
    expect(cache.entryFor(policy(), lookup, { status: 200, headers: { 'cache-control': 'private' }, body: Buffer.from('x') })).toBeUndefined();
    expect(cache.entryFor(policy(), lookup, { status: 200, headers: {}, body: Buffer.alloc(1_025) })).toBeUndefined();
    expect(cache.entryFor(policy(), lookup, { status: 204, headers: {}, body: Buffer.alloc(0) })?.status).toBe(204);
    expect(await counter(registry, 'cache_stores_total', { outcome: 'too-large' })).toBe(1);
    expect(cache.mayStore(lookup, 200, { 'content-length': '2048' })).toBe(false);
    expect(cache.mayStore(lookup, 200, { 'content-length': '10' })).toBe(true);
  });

  it('keeps a backend’s strong ETag and makes its own otherwise', async () => {
    const { cache } = setup();
    const lookup = await cache.lookup(policy(), request());
    expect(cache.entryFor(policy(), lookup, { status: 200, headers: { etag: '"v7"' }, body: Buffer.from('x') })?.etag).toBe('"v7"');
    const weak = cache.entryFor(policy(), lookup, { status: 200, headers: { etag: 'W/"v7"' }, body: Buffer.from('x') });
    const same = cache.entryFor(policy(), lookup, { status: 200, headers: {}, body: Buffer.from('x') });
    expect(weak?.etag).toBe(same?.etag);
    expect(weak?.etag).not.toBe('W/"v7"');
  });

  it('coalesces concurrent misses for one key into one backend call; others share its answer', async () => {
    const { cache } = setup();
    const backend = fakeBackend();
    const lookup = await cache.lookup(policy(), request());
    const produce = async () => {
      backend.calls++;
      await backend.gate;
      return storeAnswer(cache, lookup, 'once');
    };
    const fills = Array.from({ length: 5 }, () => cache.fill(policy(), lookup.key, produce));
    expect(fills.map((fill) => fill.leader)).toEqual([true, false, false, false, false]);
    backend.release();
    const entries = await Promise.all(fills.map((fill) => fill.result));
    expect(backend.calls).toBe(1);
    expect(entries.map((entry) => entry?.body.toString())).toEqual(['once', 'once', 'once', 'once', 'once']);
    // Once settled, the next miss asks the backend again.
    expect(cache.fill(policy(), lookup.key, produce).leader).toBe(true);
  });

  it('lets the leader see a backend failure, while the others just ask for themselves', async () => {
    const { cache } = setup();
    const backend = fakeBackend();
    const produce = async (): Promise<CachedResponse | undefined> => {
      await backend.gate;
      throw new Error('backend down');
    };
    const leader = cache.fill(policy(), 'k', produce);
    const follower = cache.fill(policy(), 'k', produce);
    backend.release();
    await expect(leader.result).rejects.toThrow('backend down');
    await expect(follower.result).resolves.toBeUndefined();
  });

  it('runs exactly one stale-while-revalidate refresh per key, across instances sharing a store', async () => {
    const store = new MemoryCacheStore(1_000_000, () => undefined, () => 1_000_000);
    const first = setup(store);
    const second = setup(store);
    const swr = { staleWhileRevalidate: '1m' };
    const lookup = await first.cache.lookup(policy(swr), request());
    await storeAnswer(first.cache, lookup, 'old', swr);
    const backend = fakeBackend();
    const produce = async () => {
      backend.calls++;
      await backend.gate;
      return first.cache.entryFor(policy(swr), lookup, { status: 200, headers: {}, body: Buffer.from('new') });
    };
    const stale = { ...lookup, state: 'stale' as const };
    const refreshes = [first, second, first, second].map((instance) => instance.cache.revalidate(policy(swr), stale, produce));
    backend.release();
    await Promise.all(refreshes);
    expect(backend.calls).toBe(1);
    const stored = async (registry: Registry) => counter(registry, 'cache_refreshes_total', { outcome: 'stored' });
    expect((await stored(first.registry)) + (await stored(second.registry))).toBe(1);
    expect((await first.cache.lookup(policy(swr), request())).entry?.body.toString()).toBe('new');
  });

  it('bypasses when the store fails, logging the outage once, and recovers', async () => {
    let down = true;
    const memory = new MemoryCacheStore(1_000_000);
    const flaky: CacheStore = {
      read: (key, tags): Promise<CacheRead> => (down ? Promise.reject(new Error('ECONNREFUSED')) : memory.read(key, tags)),
      write: (key, entry) => (down ? Promise.reject(new Error('ECONNREFUSED')) : memory.write(key, entry)),
      invalidate: (tags) => memory.invalidate(tags),
      lock: (key, ms) => memory.lock(key, ms),
    };
    const { cache, registry } = setup(flaky);
    expect((await cache.lookup(policy(), request())).state).toBe('bypass');
    expect((await cache.lookup(policy(), request())).state).toBe('bypass');
    const degraded = async () => (await registry.getMetricsAsJSON()).find((metric) => metric.name === 'cache_degraded')?.values[0]?.value;
    expect(await degraded()).toBe(1);
    expect(await counter(registry, 'cache_store_failures_total', {})).toBe(2);
    down = false;
    expect((await cache.lookup(policy(), request())).state).toBe('miss');
    expect(await degraded()).toBe(0);
  });
});
