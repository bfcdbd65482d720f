import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDedicatedRedis, type TestRedis } from '../../../test/support/redis.js';
import { waitFor } from '../../../test/support/wait-for.js';
import { MemoryPresenceRegistry, RedisPresenceRegistry } from './presence-registry.js';

describe('MemoryPresenceRegistry', () => {
  it('caps connections per user and counts distinct users', async () => {
    const registry = new MemoryPresenceRegistry();
    expect(await registry.admit('a', 2)).toBe(true);
    expect(await registry.admit('a', 2)).toBe(true);
    expect(await registry.admit('a', 2)).toBe(false);
    expect(await registry.admit('b', 2)).toBe(true);
    expect(await registry.online()).toBe(2);
    await registry.release('b');
    expect(await registry.online()).toBe(1);
  });
});

// Two registries on two connections stand for two gateway instances.
describe('RedisPresenceRegistry', () => {
  let redis: TestRedis;
  let connections: Redis[];

  beforeAll(async () => {
    redis = await startDedicatedRedis();
    connections = [new Redis(redis.url), new Redis(redis.url)];
  });

  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.quit()));
    await redis.stop();
  });

  it('shares the per-user cap and the online count, and forgets an instance that stops beating', async () => {
    const [a, b] = [new RedisPresenceRegistry(connections[0]!, 'a', 60_000), new RedisPresenceRegistry(connections[1]!, 'b', 400)];
    expect(await a.admit('u1', 2)).toBe(true);
    expect(await b.admit('u1', 2)).toBe(true);
    expect(await a.admit('u1', 2)).toBe(false);
    expect(await b.admit('u2', 2)).toBe(true);
    expect(await a.online()).toBe(2);
    await b.heartbeat();
    // b never beats again, like a killed process: its users go once its TTL passes.
    await waitFor(async () => (await a.online()) === 1, { timeoutMs: 3_000, description: 'b’s entries to expire' });
    expect(await a.admit('u1', 2)).toBe(true);
    await a.release('u1');
    await a.release('u1');
    expect(await a.online()).toBe(0);
  });

  it('writes its entries back when Redis lost them', async () => {
    const registry = new RedisPresenceRegistry(connections[0]!, 'c', 60_000);
    expect(await registry.admit('u3', 5)).toBe(true);
    await connections[1]!.del('portico:presence:instance:c');
    expect(await registry.online()).toBe(0);
    await registry.heartbeat();
    expect(await registry.online()).toBe(1);
    await registry.clear();
    expect(await registry.online()).toBe(0);
  });
});
