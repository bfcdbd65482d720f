import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../test/support/redis.js';
import { AnalyticsKeys } from './analytics-keys.js';
import { InstanceSweeper } from './instance-sweeper.js';
import { parseSessionEvent } from './session-event.js';

describe('InstanceSweeper', () => {
  let server: TestRedis;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  /** What an emitting instance leaves in Redis: its open sessions and its last heartbeat. */
  async function instance(keys: AnalyticsKeys, id: string, beat: number, sessions: Record<string, number>) {
    for (const [sessionId, startedAt] of Object.entries(sessions)) {
      await redis.hset(keys.openSessions(id), sessionId, JSON.stringify({ userId: `u-${sessionId}`, clientType: 'ios', startedAt }));
    }
    await redis.zadd(keys.instances, beat, id);
  }

  async function endedEvents(stream: string) {
    return (await redis.xrange(stream, '-', '+')).map(([, fields]) => parseSessionEvent(fields[1]!));
  }

  it('ends every open session of a dead instance once, up to its last heartbeat, even with two sweepers', async () => {
    const stream = `test:analytics:${randomUUID()}`;
    const keys = new AnalyticsKeys(stream);
    const beat = Date.now() - 60_000;
    await instance(keys, 'gw-dead', beat, { s1: beat - 10_000, s2: beat - 500 });
    await instance(keys, 'gw-alive', Date.now(), { s3: Date.now() - 1_000 });

    const options = { stream, maxLength: 10_000, instanceTtlMs: 15_000 };
    const ended = await Promise.all([new InstanceSweeper(redis, options).sweep(), new InstanceSweeper(redis, options).sweep()]);

    expect(ended.sort()).toEqual([0, 2]);
    const events = await endedEvents(stream);
    expect(events).toHaveLength(2);
    expect(events.map((event) => event?.type === 'SESSION_ENDED' && [event.sessionId, event.durationMs, event.reason, event.timestamp]).sort()).toEqual([
      ['s1', 10_000, 'instance_lost', beat],
      ['s2', 500, 'instance_lost', beat],
    ]);
    expect(events[0]).toMatchObject({ userId: 'u-s1', clientType: 'ios', instanceId: 'gw-dead', eventId: 'instance_lost:gw-dead:s1' });
    expect(await redis.exists(keys.openSessions('gw-dead'))).toBe(0);
    expect(await redis.zscore(keys.instances, 'gw-dead')).toBeNull();
    expect(await redis.hlen(keys.openSessions('gw-alive'))).toBe(1);
    expect(await new InstanceSweeper(redis, options).sweep()).toBe(0);
  });
});
