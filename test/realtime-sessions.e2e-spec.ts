import { randomUUID } from 'node:crypto';
import { utcDay, type SessionEvent, type SessionStats } from '@portico/analytics';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppProcess } from './support/app-process.js';
import { call } from './support/http.js';
import { connectRealtime, type RealtimeClient } from './support/realtime.js';
import { startRedis, type TestRedis } from './support/redis.js';
import { startGateway, stopAll, type StartedGateway } from './support/stack.js';
import { bearer, token } from './support/token.js';
import { waitFor } from './support/wait-for.js';

// Socket sessions need no backend: the gateways only have to be live.
const NO_BACKEND = '127.0.0.1:9';
const TTL_MS = 1_500;
const admin = bearer(token('ops', { claims: { roles: ['admin'] } }));

/** The /realtime hub feeding the analytics stream, read back by a real worker: the whole pipeline. */
describe('socket sessions reach the analytics stream and the worker', () => {
  let redis: TestRedis;
  let inspect: Redis;
  let gateway: StartedGateway;
  let worker: AppProcess;
  const stream = `e2e:sessions:${randomUUID()}`;
  const shared = () => ({ REDIS_URL: redis.url, ANALYTICS_STREAM: stream, ANALYTICS_INSTANCE_TTL_MS: String(TTL_MS) });
  const live = (env: Record<string, string>) => startGateway({ playerAddress: NO_BACKEND, tableAddress: NO_BACKEND, waitFor: 'live', env });

  async function events(): Promise<SessionEvent[]> {
    const entries = await inspect.xrange(stream, '-', '+');
    return entries.map(([, fields]) => JSON.parse(fields[1] as string) as SessionEvent);
  }

  const eventsOf = (sessionId: string, count: number) =>
    waitFor(
      async () => {
        const found = (await events()).filter((event) => event.sessionId === sessionId);
        return found.length >= count && found;
      },
      { timeoutMs: 20_000, intervalMs: 100, description: `${count} event(s) of session ${sessionId}` },
    );

  beforeAll(async () => {
    redis = await startRedis();
    inspect = new Redis(redis.url);
    worker = new AppProcess('analytics-worker', {
      ...shared(),
      ANALYTICS_WORKER_PORT: '0',
      ANALYTICS_BLOCK_MS: '200',
      ANALYTICS_SWEEP_INTERVAL_MS: '200',
    });
    [gateway] = await Promise.all([
      live({ ...shared(), INSTANCE_ID: `gw-${randomUUID()}` }),
      worker.waitForLog((line) => line.msg === 'analytics worker started', 'that it started', 20_000),
    ]);
  });

  afterAll(async () => {
    await stopAll([gateway?.process, worker]);
    inspect?.disconnect();
    await redis?.stop();
  });

  it('appends SESSION_STARTED and SESSION_ENDED for each socket, with the client type, and the worker counts them', async () => {
    const sub = `s-${randomUUID()}`;
    const ios = await connectRealtime(gateway.baseUrl, { token: token(sub), clientType: 'ios' });
    const browser = await connectRealtime(gateway.baseUrl, {
      token: token(sub),
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/150.0' },
    });
    const iosSession = ios.socket.id!;
    const browserSession = browser.socket.id!;
    const [started] = await eventsOf(iosSession, 1);
    expect(started).toMatchObject({ type: 'SESSION_STARTED', userId: sub, clientType: 'ios', sessionId: ios.socket.id });
    expect(started?.instanceId).toMatch(/^gw-/);
    expect(Math.abs(started!.timestamp - Date.now())).toBeLessThan(60_000);

    ios.close();
    browser.close();
    const [, ended] = await eventsOf(iosSession, 2);
    expect(ended).toMatchObject({ type: 'SESSION_ENDED', userId: sub, clientType: 'ios', reason: 'client namespace disconnect' });
    expect((ended as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(0);
    // The two sockets close independently: wait for the browser's end too rather than read it once.
    const web = await eventsOf(browserSession, 2);
    expect(web.map((event) => [event.type, event.userId, event.clientType])).toEqual([
      ['SESSION_STARTED', sub, 'web'],
      ['SESSION_ENDED', sub, 'web'],
    ]);

    const day = utcDay(Date.now());
    await waitFor(
      async () => {
        const report = await call<{ items: SessionStats[] }>(gateway.baseUrl, `/api/v1/analytics/sessions?from=${day}&to=${day}`, { headers: admin });
        const byType = new Map(report.body.items?.map((item) => [item.clientType, item]));
        return (byType.get('ios')?.ended ?? 0) >= 1 && (byType.get('web')?.ended ?? 0) >= 1;
      },
      { timeoutMs: 20_000, intervalMs: 200, description: 'the worker to count the ios and web sessions' },
    );
  });

  it('ends the sessions of a SIGKILLed gateway with reason instance_lost', async () => {
    const doomed = await live({ ...shared(), INSTANCE_ID: `gw-doomed-${randomUUID()}` });
    let client: RealtimeClient | undefined;
    try {
      client = await connectRealtime(doomed.baseUrl, { token: token(`s-${randomUUID()}`), clientType: 'android' });
      const sessionId = client.socket.id!;
      await eventsOf(sessionId, 1);
      doomed.process.signal('SIGKILL');
      const [, ended] = await eventsOf(sessionId, 2);
      expect(ended).toMatchObject({ type: 'SESSION_ENDED', reason: 'instance_lost', clientType: 'android' });
    } finally {
      client?.close();
      await stopAll([doomed.process]);
    }
  });
});

describe('socket handshakes follow CORS_ORIGINS', () => {
  let gateway: StartedGateway;

  beforeAll(async () => {
    gateway = await startGateway({
      playerAddress: NO_BACKEND,
      tableAddress: NO_BACKEND,
      waitFor: 'live',
      env: { CORS_ORIGINS: 'https://app.example.test', CORS_CREDENTIALS: 'true' },
    });
  });

  afterAll(async () => {
    await stopAll([gateway?.process]);
  });

  it('accepts an allowed origin and no origin, and refuses another site before authentication', async () => {
    const allowed = await connectRealtime(gateway.baseUrl, { token: token('p1'), headers: { origin: 'https://app.example.test' } });
    allowed.close();
    const native = await connectRealtime(gateway.baseUrl, { token: token('p1') });
    native.close();
    await expect(connectRealtime(gateway.baseUrl, { token: token('p1'), headers: { origin: 'https://evil.example.test' } })).rejects.toThrow();
  });
});
