import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDedicatedRedis, startRedis, type TestRedis } from '../../../test/support/redis.js';
import { waitFor } from '../../../test/support/wait-for.js';
import { AnalyticsKeys } from './analytics-keys.js';
import { SessionEventLogMetrics } from './analytics.metrics.js';
import { InstanceSweeper } from './instance-sweeper.js';
import { RedisSessionEventLog } from './redis-session-event-log.js';
import { parseSessionEvent, type SessionEvent } from './session-event.js';

// Configured like the shared connection of @portico/redis: commands fail at once while disconnected.
const connect = (url: string) =>
  new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 }).on('error', () => undefined);

async function streamEvents(redis: Redis, stream: string): Promise<SessionEvent[]> {
  const entries = await redis.xrange(stream, '-', '+');
  return entries.map(([, fields]) => {
    expect(fields).toHaveLength(2);
    expect(fields[0]).toBe('event');
    return parseSessionEvent(fields[1]!)!;
  });
}

const session = (sessionId: string, instanceId = 'gw-a') => ({ sessionId, userId: 'p1', clientType: 'web', instanceId, startedAt: Date.now() - 5_000 });

describe('RedisSessionEventLog', () => {
  let server: TestRedis;
  let redis: Redis;
  const logs: RedisSessionEventLog[] = [];

  beforeAll(async () => {
    server = await startRedis();
    redis = connect(server.url);
  });
  afterEach(async () => {
    await Promise.all(logs.splice(0).map((log) => log.close()));
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  function eventLog(connection: Redis, overrides: { bufferSize?: number; instanceTtlMs?: number } = {}) {
    const stream = `test:analytics:${randomUUID()}`;
    const registry = new Registry();
    const log = new RedisSessionEventLog(
      connection,
      { stream, maxLength: 10_000, instanceTtlMs: overrides.instanceTtlMs ?? 15_000, bufferSize: overrides.bufferSize ?? 100, retryMs: 50 },
      new SessionEventLogMetrics(registry),
    );
    logs.push(log);
    return { log, stream, keys: new AnalyticsKeys(stream), registry };
  }

  it('appends one JSON `event` field per entry and tracks the open session with a heartbeat', async () => {
    const { log, stream, keys } = eventLog(redis);
    log.started(session('s1'));
    await waitFor(async () => (await redis.hexists(keys.openSessions('gw-a'), 's1')) === 1, { description: 'the open session' });
    expect(Number(await redis.zscore(keys.instances, 'gw-a'))).toBeGreaterThan(Date.now() - 5_000);

    log.ended(session('s1'), 'transport close', 5_000);
    await waitFor(async () => (await redis.xlen(stream)) === 2, { description: 'two entries' });
    const [started, ended] = await streamEvents(redis, stream);
    expect(started).toMatchObject({ type: 'SESSION_STARTED', sessionId: 's1', userId: 'p1', clientType: 'web', instanceId: 'gw-a' });
    expect(ended).toMatchObject({ type: 'SESSION_ENDED', sessionId: 's1', durationMs: 5_000, reason: 'transport close' });
    expect(ended!.eventId).not.toBe(started!.eventId);
    expect(await redis.hlen(keys.openSessions('gw-a'))).toBe(0);
  });

  it('withdraws its instance on close when no session is open', async () => {
    const { log, keys } = eventLog(redis);
    log.started(session('s1'));
    log.ended(session('s1'), 'transport close', 1);
    await waitFor(() => log.backlog === 0, { description: 'the buffer to empty' });
    await log.close();
    expect(await redis.zscore(keys.instances, 'gw-a')).toBeNull();
  });

  it('does not end a session the sweeper already ended as instance_lost', async () => {
    const { log, stream, keys } = eventLog(redis);
    log.started(session('s1'));
    await waitFor(async () => (await redis.xlen(stream)) === 1, { description: 'the start' });
    await redis.zadd(keys.instances, Date.now() - 60_000, 'gw-a');
    await new InstanceSweeper(redis, { stream, maxLength: 10_000, instanceTtlMs: 15_000 }).sweep();

    log.ended(session('s1'), 'transport close', 10);
    await waitFor(() => log.backlog === 0, { description: 'the buffer to empty' });
    expect((await streamEvents(redis, stream)).map((event) => event.type === 'SESSION_ENDED' && event.reason)).toEqual([false, 'instance_lost']);
  });

  it('buffers events while Redis is down and writes them, in order, when it returns', async () => {
    const own = await startDedicatedRedis();
    const connection = connect(own.url);
    try {
      const { log, stream } = eventLog(connection);
      await own.stop();
      await waitFor(() => connection.status !== 'ready', { description: 'the connection to notice' });
      log.started(session('s1'));
      log.started(session('s2'));
      log.ended(session('s1'), 'ping timeout', 7);
      expect(log.backlog).toBe(3);

      const back = await startDedicatedRedis({ port: own.port });
      try {
        await waitFor(() => log.backlog === 0, { timeoutMs: 15_000, description: 'the buffer to be written' });
        const events = await streamEvents(connection, stream);
        expect(events.map((event) => `${event.type} ${event.sessionId}`)).toEqual(['SESSION_STARTED s1', 'SESSION_STARTED s2', 'SESSION_ENDED s1']);
        await log.close();
      } finally {
        connection.disconnect();
        await back.stop();
      }
    } finally {
      connection.disconnect();
      await own.stop();
    }
  });

  it('drops and counts what does not fit in the buffer', async () => {
    const own = await startDedicatedRedis();
    const connection = connect(own.url);
    await own.stop();
    await waitFor(() => connection.status !== 'ready', { description: 'the connection to notice' });
    const { log, registry } = eventLog(connection, { bufferSize: 2 });
    for (const id of ['s1', 's2', 's3']) log.started(session(id));
    expect(log.backlog).toBe(2);
    expect(await registry.getSingleMetricAsString('analytics_events_dropped_total')).toMatch(/^analytics_events_dropped_total 1$/m);
    logs.splice(logs.indexOf(log), 1);
    connection.disconnect();
  });
});
