import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../../../test/support/redis.js';
import { waitFor } from '../../../test/support/wait-for.js';
import { StreamConsumerMetrics } from './analytics.metrics.js';
import { RedisSessionStats } from './redis-session-stats.js';
import { SessionEventConsumer } from './session-event-consumer.js';
import { sessionEnded, sessionStarted, utcDay, type SessionEvent } from './session-event.js';

const today = utcDay(Date.now());
// Early enough in the day that starts and ends (at most a few seconds later) fall on the same one.
const base = { userId: 'p1', clientType: 'web', instanceId: 'gw-a', startedAt: Date.parse(`${today}T00:00:00Z`) };

describe('SessionEventConsumer', () => {
  let server: TestRedis;
  let redis: Redis;
  let blocking: Redis;

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
    blocking = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    blocking.disconnect();
    await server.stop();
  });

  async function setUp(claimIdleMs = 60_000) {
    const stream = `test:analytics:${randomUUID()}`;
    const registry = new Registry();
    const metrics = new StreamConsumerMetrics(registry);
    const consumer = (name: string) =>
      new SessionEventConsumer(
        redis,
        blocking,
        { stream, group: 'workers', consumer: name, batchSize: 50, blockMs: 20, claimIdleMs, dedupeWindowMs: 60_000 },
        metrics,
      );
    const first = consumer('first');
    await first.createGroup();
    const append = (event: SessionEvent | string) => redis.xadd(stream, '*', 'event', typeof event === 'string' ? event : JSON.stringify(event));
    return { stream, registry, consumer, first, append, stats: new RedisSessionStats(redis, stream) };
  }

  it('counts starts, ends and durations per day and client type, and acknowledges them', async () => {
    const { first, append, stats } = await setUp();
    await append(sessionStarted({ ...base, sessionId: 'a' }));
    await append(sessionStarted({ ...base, sessionId: 'b', clientType: 'ios' }));
    await append(sessionEnded({ ...base, sessionId: 'a' }, 'transport close', 2_000));
    await append(sessionEnded({ ...base, sessionId: 'c' }, 'transport close', 4_000));

    expect(await first.poll()).toBe(4);
    const [ios, web] = await stats.read(today, today);
    expect(ios).toEqual({ day: today, clientType: 'ios', sessions: 1, ended: 0, averageDurationMs: null, p95DurationMs: null });
    expect(web).toMatchObject({ day: today, clientType: 'web', sessions: 1, ended: 2, averageDurationMs: 3_000 });
    expect(Math.abs(web!.p95DurationMs! - 4_000)).toBeLessThanOrEqual(40);
    expect(await first.backlog()).toEqual({ pending: 0, lag: 0 });
  });

  it('counts an event id once however often it is appended', async () => {
    const { first, append, stats, registry } = await setUp();
    const event = sessionStarted({ ...base, sessionId: 'a' });
    await append(event);
    await append(event);
    await first.poll();
    expect((await stats.read(today, today))[0]?.sessions).toBe(1);
    expect(await registry.getSingleMetricAsString('analytics_worker_entries_total')).toMatch(/outcome="duplicate"} 1$/m);
    expect(await first.backlog()).toEqual({ pending: 0, lag: 0 });
  });

  it('acknowledges and skips an entry that is not a session event', async () => {
    const { first, append, stats, registry } = await setUp();
    await append('{"type":"SOMETHING_ELSE"}');
    await append(sessionStarted({ ...base, sessionId: 'a' }));
    await first.poll();
    expect((await stats.read(today, today))[0]?.sessions).toBe(1);
    expect(await registry.getSingleMetricAsString('analytics_worker_entries_total')).toMatch(/outcome="invalid"} 1$/m);
    expect(await first.backlog()).toEqual({ pending: 0, lag: 0 });
  });

  it('claims entries another consumer left pending past the idle time', async () => {
    const { stream, consumer, append, stats } = await setUp(50);
    await append(sessionStarted({ ...base, sessionId: 'a' }));
    // A consumer that read and died: delivered to it, never acknowledged.
    await redis.xreadgroup('GROUP', 'workers', 'dead', 'COUNT', 10, 'STREAMS', stream, '>');
    const survivor = consumer('survivor');
    expect((await survivor.backlog()).pending).toBe(1);

    await waitFor(async () => (await survivor.poll()) === 1, { description: 'the survivor to claim the entry' });
    expect((await stats.read(today, today))[0]?.sessions).toBe(1);
    expect(await survivor.backlog()).toEqual({ pending: 0, lag: 0 });
  });
});
