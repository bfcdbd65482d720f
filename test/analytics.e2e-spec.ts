import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  RedisSessionEventLog,
  SessionEventLogMetrics,
  sessionStarted,
  utcDay,
  type SessionStats,
  type SocketSession,
} from '@portico/analytics';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppProcess } from './support/app-process.js';
import { call, expectProblem } from './support/http.js';
import { startRedis, type TestRedis } from './support/redis.js';
import { startGateway, stopAll, type StartedGateway } from './support/stack.js';
import { bearer, token } from './support/token.js';
import { waitFor } from './support/wait-for.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const admin = bearer(token('ops', { claims: { roles: ['admin'] } }));
const today = utcDay(Date.now());
// Sessions start at the beginning of today, so a start and its end (seconds later) share a day.
const dayStart = Date.parse(`${today}T00:00:00Z`);
// No backend is started: the analytics endpoint needs none, so the gateway only has to be live.
const NO_BACKEND = '127.0.0.1:9';
const TTL_MS = 1_500;

interface Report {
  from: string;
  to: string;
  items: SessionStats[];
}

describe('session analytics: stream, worker and endpoint', () => {
  let redis: TestRedis;
  let inspect: Redis;
  let gateway: StartedGateway;
  const stream = `e2e:analytics:${randomUUID()}`;
  const workers: AppProcess[] = [];
  const emitters: ChildProcess[] = [];
  const logs: RedisSessionEventLog[] = [];
  const connections: Redis[] = [];

  function startWorker(env: Record<string, string> = {}): Promise<AppProcess> {
    const worker = new AppProcess('analytics-worker', {
      REDIS_URL: redis.url,
      ANALYTICS_STREAM: stream,
      ANALYTICS_WORKER_PORT: '0',
      ANALYTICS_BLOCK_MS: '200',
      ANALYTICS_CLAIM_IDLE_MS: '1000',
      ANALYTICS_SWEEP_INTERVAL_MS: '200',
      ANALYTICS_INSTANCE_TTL_MS: String(TTL_MS),
      ...env,
    });
    workers.push(worker);
    return worker.waitForLog((line) => line.msg === 'analytics worker started', 'that it started', 20_000).then(() => worker);
  }

  /** The emitting side of a gateway instance, in this process, on its own connection. */
  function eventLog(): RedisSessionEventLog {
    const connection = new Redis(redis.url);
    connections.push(connection);
    const log = new RedisSessionEventLog(
      connection,
      { stream, maxLength: 100_000, instanceTtlMs: TTL_MS, bufferSize: 1_000 },
      new SessionEventLogMetrics(new Registry()),
    );
    logs.push(log);
    return log;
  }

  const session = (clientType: string, index: number): SocketSession => ({
    sessionId: `${clientType}-${index}`,
    userId: `u${index}`,
    clientType,
    // One instance per client type: each test's sessions belong to an instance of its own.
    instanceId: `gw-${clientType}`,
    startedAt: dayStart + index,
  });

  async function statsOf(clientType: string): Promise<SessionStats | undefined> {
    const result = await call<Report>(gateway.baseUrl, `/api/v1/analytics/sessions?from=${today}&to=${today}`, { headers: admin });
    expect(result.status, result.text).toBe(200);
    return result.body.items.find((item) => item.clientType === clientType);
  }

  const statsReach = (clientType: string, expected: Partial<SessionStats>, description: string) =>
    waitFor(
      async () => {
        const stats = await statsOf(clientType);
        return stats && Object.entries(expected).every(([key, value]) => stats[key as keyof SessionStats] === value) ? stats : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100, description },
    );

  /** Base URL of a worker's /health/live and /metrics, from the port it logged. */
  async function probesOf(worker: AppProcess): Promise<string> {
    const line = await worker.waitForLog((entry) => entry.msg === 'analytics worker started', 'its port');
    return `http://127.0.0.1:${String(line['port'])}`;
  }

  async function flushed(log: RedisSessionEventLog): Promise<void> {
    await waitFor(() => log.backlog === 0, { description: 'the event log to reach Redis' });
  }

  /** The group's pending entries per consumer. */
  async function pendingByConsumer(): Promise<Map<string, number>> {
    const summary = (await inspect.xpending(stream, 'analytics-worker')) as [number, string, string, [string, string][] | null];
    return new Map((summary[3] ?? []).map(([consumer, count]) => [consumer, Number(count)]));
  }

  beforeAll(async () => {
    redis = await startRedis();
    inspect = new Redis(redis.url);
    gateway = await startGateway({
      playerAddress: NO_BACKEND,
      tableAddress: NO_BACKEND,
      waitFor: 'live',
      env: { REDIS_URL: redis.url, ANALYTICS_STREAM: stream },
    });
  });

  afterEach(async () => {
    await Promise.all(logs.splice(0).map((log) => log.close()));
    for (const connection of connections.splice(0)) connection.disconnect();
    for (const emitter of emitters.splice(0)) emitter.kill('SIGKILL');
    await stopAll(workers.splice(0));
  });

  afterAll(async () => {
    await stopAll([gateway?.process]);
    inspect?.disconnect();
    await redis?.stop();
  });

  it('aggregates appended events per day and client type, for admins only', async () => {
    const worker = await startWorker();
    expect((await call(await probesOf(worker), '/health/live')).status).toBe(200);
    const log = eventLog();
    for (let index = 0; index < 4; index++) log.started(session('web', index));
    log.ended(session('web', 0), 'transport close', 1_000);
    log.ended(session('web', 1), 'transport close', 3_000);
    log.started(session('ios', 0));

    const web = await statsReach('web', { sessions: 4, ended: 2 }, 'the web sessions to be counted');
    expect(web).toMatchObject({ day: today, averageDurationMs: 2_000 });
    expect(Math.abs(web.p95DurationMs! - 3_000)).toBeLessThanOrEqual(30);
    expect(await statsOf('ios')).toEqual({ day: today, clientType: 'ios', sessions: 1, ended: 0, averageDurationMs: null, p95DurationMs: null });

    expectProblem(await call(gateway.baseUrl, '/api/v1/analytics/sessions', { headers: bearer(token('p1', { claims: { roles: ['player'] } })) }), 403);
    expectProblem(await call(gateway.baseUrl, '/api/v1/analytics/sessions'), 401);
    const bad = expectProblem(await call(gateway.baseUrl, '/api/v1/analytics/sessions?from=yesterday', { headers: admin }), 400);
    expect(bad.errors?.map((error) => error.field)).toEqual(['from']);
  });

  it('processes events appended while the worker was down once it returns', async () => {
    const first = await startWorker();
    expect(await first.stop()).toBe(0);
    const log = eventLog();
    for (let index = 0; index < 3; index++) log.started(session('android', index));
    log.ended(session('android', 0), 'ping timeout', 500);
    await flushed(log);
    expect(await statsOf('android')).toBeUndefined();

    await startWorker();
    const android = await statsReach('android', { sessions: 3, ended: 1 }, 'the events appended while no worker ran');
    expect(android.averageDurationMs).toBe(500);
  });

  it('lets another worker claim and process the entries a SIGKILLed worker left pending', async () => {
    // A long block keeps the victim parked in XREADGROUP, so Redis delivers to it while it is frozen.
    const victim = await startWorker({ ANALYTICS_CONSUMER: 'victim', ANALYTICS_BLOCK_MS: '60000' });
    await waitFor(async () => /name=\S* .*cmd=xreadgroup/.test((await inspect.client('LIST')) as string), {
      description: 'the victim to block in XREADGROUP',
    });
    victim.signal('SIGSTOP');
    // One transaction, so Redis hands all five to the blocked read at once.
    const appended = inspect.multi();
    for (let index = 0; index < 5; index++) appended.xadd(stream, '*', 'event', JSON.stringify(sessionStarted(session('desktop', index))));
    await appended.exec();
    await waitFor(async () => (await pendingByConsumer()).get('victim') === 5, { description: 'five entries pending under the victim' });
    victim.signal('SIGKILL');
    await victim.exited;
    expect(await statsOf('desktop')).toBeUndefined();

    const survivor = await startWorker({ ANALYTICS_CONSUMER: 'survivor' });
    await statsReach('desktop', { sessions: 5 }, 'the claimed entries to be counted');
    await survivor.waitForLog((line) => line.msg === 'claimed analytics entries left pending by another consumer', 'the claim');
    expect((await pendingByConsumer()).get('victim')).toBeUndefined();
  });

  it('counts an event appended twice (a retried append) once', async () => {
    const worker = await startWorker();
    const event = JSON.stringify(sessionStarted(session('tv', 0)));
    await inspect.xadd(stream, '*', 'event', event);
    await inspect.xadd(stream, '*', 'event', event);
    await inspect.xadd(stream, '*', 'event', JSON.stringify(sessionStarted(session('tv', 1))));
    const metrics = await waitFor(
      async () => {
        const text = (await call(await probesOf(worker), '/metrics')).text;
        return /^analytics_worker_entries_total\{outcome="duplicate"\} 1$/m.test(text) && /^analytics_worker_pending 0$/m.test(text) && text;
      },
      { description: 'the worker to recognise the duplicate and acknowledge everything' },
    );
    expect(metrics).toMatch(/^analytics_worker_lag 0$/m);
    expect((await statsOf('tv'))?.sessions).toBe(2);
  });

  it('ends the sessions of an instance killed with SIGKILL as instance_lost', async () => {
    await startWorker();
    const emitter = spawn(process.execPath, ['test/support/session-emitter.mjs'], {
      cwd: ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        REDIS_URL: redis.url,
        ANALYTICS_STREAM: stream,
        ANALYTICS_INSTANCE_TTL_MS: String(TTL_MS),
        INSTANCE_ID: 'gw-doomed',
        CLIENT_TYPE: 'watch',
        SESSIONS: '3',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    emitters.push(emitter);
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: emitter.stdout }).on('line', (line) => line === 'ready' && resolve());
      emitter.once('exit', (code) => reject(new Error(`session emitter exited with ${code}`)));
    });
    await statsReach('watch', { sessions: 3, ended: 0 }, 'the open sessions');
    // While it heartbeats, the sweeper leaves it alone, for longer than the TTL.
    const instances = `{${stream}}:instances`;
    const firstBeat = Number(await inspect.zscore(instances, 'gw-doomed'));
    await waitFor(async () => Number(await inspect.zscore(instances, 'gw-doomed')) > firstBeat + TTL_MS, {
      timeoutMs: 10_000,
      description: 'heartbeats spanning more than one TTL',
    });
    expect((await statsOf('watch'))?.ended).toBe(0);

    emitter.kill('SIGKILL');
    await statsReach('watch', { sessions: 3, ended: 3 }, 'the sweeper to end the lost sessions');
    const ends = (await inspect.xrange(stream, '-', '+'))
      .map(([, fields]) => JSON.parse(fields[1]!) as { type: string; instanceId: string; reason?: string })
      .filter((event) => event.type === 'SESSION_ENDED' && event.instanceId === 'gw-doomed');
    expect(ends.map((event) => event.reason)).toEqual(['instance_lost', 'instance_lost', 'instance_lost']);
  });
});

describe('session analytics without Redis', () => {
  let gateway: StartedGateway;

  beforeAll(async () => {
    gateway = await startGateway({ playerAddress: NO_BACKEND, tableAddress: NO_BACKEND, waitFor: 'live' });
  });
  afterAll(async () => {
    await stopAll([gateway?.process]);
  });

  it('still answers, from the in-process aggregates', async () => {
    const result = await call<Report>(gateway.baseUrl, '/api/v1/analytics/sessions', { headers: admin });
    expect(result.status, result.text).toBe(200);
    expect(result.body.to).toBe(today);
    expect(result.body.items).toEqual([]);
  });
});
