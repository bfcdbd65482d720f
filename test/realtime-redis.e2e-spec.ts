import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppProcess } from './support/app-process.js';
import { freePort } from './support/free-port.js';
import { startDedicatedRedis, type TestRedis } from './support/redis.js';
import { connectRealtime, type RealtimeClient } from './support/realtime.js';
import { startGateway, stopAll, type StartedGateway } from './support/stack.js';
import { bearer, token } from './support/token.js';
import { waitFor } from './support/wait-for.js';

async function online(baseUrl: string): Promise<number> {
  const response = await fetch(`${baseUrl}/api/v1/presence`, { headers: bearer(token('observer')) });
  return ((await response.json()) as { online: number }).online;
}

// Two gateway instances and table-service on one dedicated Redis (exact presence counts).
describe('realtime hub across two gateway instances on one Redis', () => {
  let redis: TestRedis;
  let backends: AppProcess[] = [];
  let first: StartedGateway;
  let second: StartedGateway;
  const clients: RealtimeClient[] = [];
  const connect = async (baseUrl: string, sub: string) => {
    const client = await connectRealtime(baseUrl, { token: token(sub) });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    redis = await startDedicatedRedis();
    const playerAddress = `127.0.0.1:${await freePort()}`;
    const tableAddress = `127.0.0.1:${await freePort()}`;
    backends = [
      new AppProcess('player-service', { PLAYER_SERVICE_URL: playerAddress }),
      new AppProcess('table-service', { TABLE_SERVICE_URL: tableAddress, REDIS_URL: redis.url }),
    ];
    await Promise.all(backends.map((app) => app.waitForLog((line) => line.msg === 'gRPC service listening', 'gRPC service listening', 20_000)));
    const env = { REDIS_URL: redis.url, REALTIME_PRESENCE_TTL_MS: '900', REALTIME_MAX_CONNECTIONS_PER_USER: '2' };
    [first, second] = await Promise.all([
      startGateway({ playerAddress, tableAddress, env: { ...env, INSTANCE_ID: 'gateway-a' } }),
      startGateway({ playerAddress, tableAddress, env: { ...env, INSTANCE_ID: 'gateway-b' } }),
    ]);
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await stopAll([first?.process, second?.process, ...backends]);
    await redis?.stop();
  });

  it('delivers a join through one instance to the table and lobby subscribers on both, once', async () => {
    const onFirst = await connect(first.baseUrl, 'alice');
    const onSecond = await connect(second.baseUrl, 'bob');
    for (const client of [onFirst, onSecond]) {
      expect(await client.request('subscribe', { channel: 'table:t4' })).toEqual({ ok: true });
      expect(await client.request('subscribe', { channel: 'lobby' })).toEqual({ ok: true });
    }
    const joined = await fetch(`${first.baseUrl}/api/v1/tables/t4/join`, { method: 'POST', headers: bearer(token('p9')) });
    expect(joined.status).toBe(200);
    for (const client of [onFirst, onSecond]) {
      // One on table:t4 and one on lobby.
      const updates = await client.received('table.updated', 2);
      expect(updates).toMatchObject([{ table: { id: 't4', seatedPlayerIds: ['p9'] } }, { table: { id: 't4', seatedPlayerIds: ['p9'] } }]);
    }
    const left = await fetch(`${second.baseUrl}/api/v1/tables/t4/leave`, { method: 'POST', headers: bearer(token('p9')) });
    expect(left.status).toBe(200);
    for (const client of [onFirst, onSecond]) {
      const updates = await client.received('table.updated', 4);
      expect(updates.slice(2)).toMatchObject([{ table: { seatedPlayerIds: [] } }, { table: { seatedPlayerIds: [] } }]);
      // The gateway stays quiet when Redis carries table-service's events: no fifth copy.
      expect(client.events.filter((entry) => entry.event === 'table.updated')).toHaveLength(4);
    }
  });

  it('relays chat from a socket on one instance to watchers on the other', async () => {
    const sender = await connect(first.baseUrl, 'carol');
    const watcher = await connect(second.baseUrl, 'dave');
    expect(await watcher.request('subscribe', { channel: 'table:t1' })).toEqual({ ok: true });
    const ack = (await sender.request('message', { channel: 'table:t1', event: 'table.chat', data: { text: 'gl' } })) as { ok: boolean; result: unknown };
    expect(ack).toMatchObject({ ok: true, result: { message: { playerId: 'carol', tableId: 't1', text: 'gl' } } });
    expect(await watcher.received('table.chat')).toEqual([ack.result]);
  });

  it('caps one user’s connections across instances', async () => {
    await connect(first.baseUrl, 'erin');
    await connect(second.baseUrl, 'erin');
    await expect(connectRealtime(first.baseUrl, { token: token('erin') })).rejects.toMatchObject({ data: { status: 429 } });
  });

  it('counts users online across instances, and forgets a killed instance’s users', async () => {
    const count = await online(first.baseUrl);
    expect(await online(second.baseUrl)).toBe(count);
    const lobby = await connect(first.baseUrl, 'frank');
    expect(await lobby.request('subscribe', { channel: 'lobby' })).toEqual({ ok: true });
    const doomed = await connect(second.baseUrl, 'grace');
    await waitFor(async () => (await online(first.baseUrl)) === count + 2, { description: 'both new users to count' });
    expect(doomed.socket.connected).toBe(true);
    // Everyone connected to the second instance: bob, dave, erin and grace; erin is also on the first.
    second.process.signal('SIGKILL');
    await waitFor(async () => (await online(first.baseUrl)) === count + 2 - 3, { timeoutMs: 10_000, description: 'the killed instance’s users to expire' });
    await waitFor(() => lobby.events.some((entry) => entry.event === 'presence.updated' && (entry.data as { online: number }).online === count - 1), {
      description: 'presence.updated with the lower count on the surviving instance',
    });
  });
});
