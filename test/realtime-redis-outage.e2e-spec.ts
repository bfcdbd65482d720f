import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/free-port.js';
import { startDedicatedRedis } from './support/redis.js';
import { connectRealtime, type RealtimeClient } from './support/realtime.js';
import { startGateway, stopAll, type StartedGateway } from './support/stack.js';
import { token } from './support/token.js';
import { waitFor } from './support/wait-for.js';

type DedicatedRedis = Awaited<ReturnType<typeof startDedicatedRedis>>;

const LOST = 'realtime adapter message to other instances lost';

// The socket.io Redis adapter publishes without handling a failure; while Redis is away such a
// failure must cost the message, not the process and every socket on it.
describe('realtime hub while its Redis goes away', () => {
  let redis: DedicatedRedis;
  let gateway: StartedGateway;
  const clients: RealtimeClient[] = [];
  const connect = async (sub: string) => {
    const client = await connectRealtime(gateway.baseUrl, { token: token(sub) });
    clients.push(client);
    return client;
  };
  const live = async () => (await fetch(`${gateway.baseUrl}/health/live`, { signal: AbortSignal.timeout(2_000) })).status;

  beforeAll(async () => {
    redis = await startDedicatedRedis();
    // No backend is needed: sockets, presence and the adapter only talk to Redis.
    gateway = await startGateway({
      playerAddress: `127.0.0.1:${await freePort()}`,
      tableAddress: `127.0.0.1:${await freePort()}`,
      env: { REDIS_URL: redis.url },
      waitFor: 'live',
    });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await stopAll([gateway?.process]);
    await redis?.stop();
  });

  it('keeps serving when the messages it sends to other instances fail, and recovers with Redis', async () => {
    const [leaving, staying] = [await connect('outage-a'), await connect('outage-b')];
    await redis.stop();
    // A socket going away is a presence change, which the adapter announces to the other instances.
    leaving.close();
    await gateway.process.waitForLog((line) => typeof line.msg === 'string' && line.msg.startsWith(LOST), 'a lost adapter message', 10_000);
    expect(gateway.process.running).toBe(true);
    expect(await live()).toBe(200);
    expect(staying.socket.connected).toBe(true);

    redis = await startDedicatedRedis({ port: redis.port });
    const back = await waitFor(() => connect('outage-c').catch(() => undefined), { timeoutMs: 15_000, description: 'a handshake to succeed with Redis back' });
    expect(await back.request('subscribe', { channel: 'lobby' })).toEqual({ ok: true });
  });

  it('shuts down cleanly when Redis is gone with messages still queued', async () => {
    await redis.stop();
    for (const client of clients) client.close();
    expect(await gateway.process.stop()).toBe(0);
    expect(gateway.process.output.join('\n')).not.toMatch(/Unhandled|Connection is closed\.\n/);
  });
});
