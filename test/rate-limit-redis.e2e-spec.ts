import { compilePolicy, redisKey, RedisRateLimitStore, type RateLimitOptions } from '@portico/rate-limit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDedicatedRedis, startRedis, type TestRedis } from './support/redis.js';
import { waitFor } from './support/wait-for.js';

// The Lua scripts against a real Redis: two stores on two connections stand for two gateway instances.
describe('Redis rate limit scripts', () => {
  let redis: TestRedis;
  let connections: Redis[];
  let first: RedisRateLimitStore;
  let second: RedisRateLimitStore;
  let inspect: Redis;
  let run = 0;

  beforeAll(async () => {
    redis = await startRedis();
    connections = [new Redis(redis.url), new Redis(redis.url), new Redis(redis.url)];
    [first, second] = connections.slice(0, 2).map((connection) => new RedisRateLimitStore(connection)) as [RedisRateLimitStore, RedisRateLimitStore];
    inspect = connections[2] as Redis;
  });

  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.quit()));
    await redis.stop();
  });

  // A fresh key per test, so a REDIS_URL shared with other suites or reruns starts from nothing.
  const freshKey = () => `spec-${process.pid}-${Date.now()}-${++run}`;
  const policy = (options: Partial<RateLimitOptions>) => compilePolicy({ limit: 3, window: '1m', ...options }, 'spec');

  it('fixed window: the limit holds across instances, and rejected requests and questions spend nothing', async () => {
    const key = freshKey();
    const fixed = policy({ algorithm: 'fixed-window' });
    expect(await first.consume(key, fixed, false)).toMatchObject({ allowed: true, remaining: 2 });
    expect(await first.consume(key, fixed, true)).toMatchObject({ allowed: true, remaining: 2 });
    expect(await second.consume(key, fixed, true)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await first.consume(key, fixed, true)).toMatchObject({ allowed: true, remaining: 0 });
    for (let i = 0; i < 4; i++) {
      const rejected = await second.consume(key, fixed, true);
      expect(rejected).toMatchObject({ allowed: false, remaining: 0, limit: 3 });
      expect(rejected.retryAfterMs).toBeGreaterThan(0);
      expect(rejected.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
    const stored = redisKey(`${key}`, 'fixed-window');
    expect(stored).toBe(`{rl:${key}}:fw`);
    expect(await inspect.hget(stored, 'c')).toBe('3');
    const ttl = await inspect.pttl(stored);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('fixed window: a new window allows again', async () => {
    const key = freshKey();
    const fixed = policy({ algorithm: 'fixed-window', limit: 1, window: '500ms' });
    await first.consume(key, fixed, true);
    expect((await second.consume(key, fixed, true)).allowed).toBe(false);
    await waitFor(async () => (await second.consume(key, fixed, true)).allowed, { timeoutMs: 2_000, description: 'the next fixed window' });
  });

  it('sliding window: logs only allowed requests and frees a slot one window after the oldest', async () => {
    const key = freshKey();
    const sliding = policy({ algorithm: 'sliding-window', limit: 2, window: '1s' });
    const start = Date.now();
    expect(await first.consume(key, sliding, true)).toMatchObject({ allowed: true, remaining: 1 });
    expect(await second.consume(key, sliding, true)).toMatchObject({ allowed: true, remaining: 0 });
    for (let i = 0; i < 3; i++) {
      const rejected = await first.consume(key, sliding, true);
      expect(rejected.allowed).toBe(false);
      expect(rejected.retryAfterMs).toBeLessThanOrEqual(1_000);
    }
    expect(await inspect.zcard(redisKey(key, 'sliding-window'))).toBe(2);
    await waitFor(async () => (await first.consume(key, sliding, true)).allowed, { timeoutMs: 3_000, description: 'a slot to free' });
    // Not before the oldest request left the window (a little clock slack between Node and Redis).
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
    // Whatever has left the window, the log never holds more than the limit.
    for (let i = 0; i < 3; i++) await second.consume(key, sliding, true);
    expect(await inspect.zcard(redisKey(key, 'sliding-window'))).toBe(2);
    expect((await second.consume(key, sliding, true)).allowed).toBe(false);
  });

  it('token bucket: a burst, then refill at the rate, never above the burst', async () => {
    const key = freshKey();
    const bucket = policy({ algorithm: 'token-bucket', limit: 10, window: '1s', burst: 3 });
    expect([await first.consume(key, bucket, true), await second.consume(key, bucket, true), await first.consume(key, bucket, true)].map((d) => d.allowed)).toEqual([
      true,
      true,
      true,
    ]);
    const rejected = await second.consume(key, bucket, true);
    expect(rejected).toMatchObject({ allowed: false, limit: 3 });
    expect(rejected.retryAfterMs).toBeGreaterThan(0);
    expect(rejected.retryAfterMs).toBeLessThanOrEqual(100);
    await waitFor(async () => (await first.consume(key, bucket, true)).allowed, { timeoutMs: 2_000, description: 'a token to refill' });
    const level = Number(await inspect.hget(redisKey(key, 'token-bucket'), 't'));
    expect(level).toBeGreaterThanOrEqual(0);
    expect(level).toBeLessThan(1);
  });

  it('gives up on a Redis that does not answer, so a hung server cannot stall requests', async () => {
    const paused = await startDedicatedRedis();
    const connection = new Redis(paused.url);
    try {
      const store = new RedisRateLimitStore(connection, 100);
      expect((await store.consume(freshKey(), policy({}), true)).allowed).toBe(true);
      paused.process.kill('SIGSTOP');
      const started = performance.now();
      await expect(store.consume(freshKey(), policy({}), true)).rejects.toThrow(/longer than 100 ms/);
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      paused.process.kill('SIGCONT');
      connection.disconnect();
      await paused.stop();
    }
  });

  it('loads a script again after SCRIPT FLUSH', async () => {
    await inspect.script('FLUSH');
    expect((await first.consume(freshKey(), policy({ algorithm: 'sliding-window' }), true)).allowed).toBe(true);
  });
});
