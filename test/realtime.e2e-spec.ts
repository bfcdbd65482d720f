import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startEdgeGateway, upstream } from './support/edge.js';
import { connectRealtime, type RealtimeClient } from './support/realtime.js';
import { startStack, type Stack } from './support/stack.js';
import { bearer, token } from './support/token.js';
import { TestUpstream } from './support/upstream.js';
import { waitFor } from './support/wait-for.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface ConnectError extends Error {
  data: { type: string; status: number; detail: string };
}

async function refusal(promise: Promise<RealtimeClient>): Promise<ConnectError> {
  const error = await promise.then(
    (client) => {
      client.close();
      throw new Error('the handshake was accepted');
    },
    (rejected: unknown) => rejected as ConnectError,
  );
  return error;
}

async function metricsOf(baseUrl: string): Promise<string> {
  return (await fetch(`${baseUrl}/metrics`)).text();
}

// One gateway on in-memory stores (no REDIS_URL), as `npm start` runs it.
describe('realtime hub on one in-memory gateway', () => {
  let stack: Stack;
  const clients: RealtimeClient[] = [];
  const connect = async (...args: Parameters<typeof connectRealtime>) => {
    const client = await connectRealtime(...args);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    stack = await startStack({
      gatewayEnv: {
        REALTIME_PING_INTERVAL_MS: '300',
        REALTIME_PING_TIMEOUT_MS: '300',
        REALTIME_MAX_CONNECTIONS_PER_USER: '2',
        REALTIME_MESSAGE_LIMIT_CONNECTION: '8/1m',
        SHUTDOWN_DRAIN_DELAY_MS: '0',
      },
    });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await stack?.stop();
  });

  it('refuses a handshake without a token, with a bad one or with an expired one', async () => {
    const missing = await refusal(connectRealtime(stack.baseUrl));
    expect(missing.message).toMatch(/token is required/);
    expect(missing.data).toMatchObject({ status: 401, type: 'https://portico.dev/problems/unauthorized' });
    const forged = await refusal(connectRealtime(stack.baseUrl, { token: token('p1', { key: 'another-secret-0123456789abcdef' }) }));
    expect(forged.message).toBe('invalid signature');
    expect(forged.data.status).toBe(401);
    const expired = await refusal(connectRealtime(stack.baseUrl, { token: token('p1', { expiresInSeconds: -60 }) }));
    expect(expired.message).toBe('jwt expired');
    const metrics = await metricsOf(stack.baseUrl);
    expect(metrics).toMatch(/realtime_auth_failures_total\{reason="missing"\} [1-9]/);
    expect(metrics).toMatch(/realtime_auth_failures_total\{reason="expired"\} [1-9]/);
  });

  it('accepts the token from an Authorization header too', async () => {
    const client = await connect(stack.baseUrl, { headers: bearer(token('header-user')) });
    expect(await client.request('subscribe', { channel: 'lobby' })).toEqual({ ok: true });
  });

  it('ends a session whose token expires while connected, saying why', async () => {
    const client = await connect(stack.baseUrl, { token: token('short-lived', { expiresInSeconds: 2 }) });
    expect(await client.received('session.ended')).toEqual([{ reason: 'token_expired' }]);
    expect(await client.disconnectReason()).toBe('io server disconnect');
    await waitFor(async () => /realtime_disconnects_total\{reason="token_expired"\} 1/.test(await metricsOf(stack.baseUrl)), {
      description: 'the token_expired disconnect to be counted',
    });
  });

  it('answers bad subscriptions with error acks and keeps the socket', async () => {
    const client = await connect(stack.baseUrl, { token: token('p-errors') });
    expect(await client.request('subscribe', { channel: 'casino:1' })).toEqual({
      ok: false,
      error: { code: 'unknown-channel', message: 'no channel casino:1', status: 404 },
    });
    expect(await client.request('subscribe', { channel: 42 })).toMatchObject({ ok: false, error: { code: 'bad-request', status: 400 } });
    expect(await client.request('subscribe', 'lobby')).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await client.request('message', { channel: 'table:t1', event: 'table.dance', data: {} })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: 'unknown event table.dance' },
    });
    client.socket.emit('subscribe', { nope: true });
    expect(await client.received('exception')).toMatchObject([{ ok: false, error: { code: 'bad-request' } }]);
    expect(client.socket.connected).toBe(true);
    expect(await client.request('subscribe', { channel: 'table:t1' })).toEqual({ ok: true });
  });

  it('delivers table.updated to the table and the lobby once per join or leave (the gateway publishes in-process)', async () => {
    const watcher = await connect(stack.baseUrl, { token: token('watcher') });
    expect(await watcher.request('subscribe', { channel: 'table:t4' })).toEqual({ ok: true });
    const lobby = await connect(stack.baseUrl, { token: token('lobby-watcher') });
    expect(await lobby.request('subscribe', { channel: 'lobby' })).toEqual({ ok: true });
    const joined = await fetch(`${stack.baseUrl}/api/v1/tables/t4/join`, { method: 'POST', headers: bearer(token('p9')) });
    expect(joined.status).toBe(200);
    const [update] = await watcher.received('table.updated');
    expect(update).toMatchObject({ table: { id: 't4', seatedPlayerIds: ['p9'] } });
    expect(await lobby.received('table.updated')).toEqual([update]);
    const left = await fetch(`${stack.baseUrl}/api/v1/tables/t4/leave`, { method: 'POST', headers: bearer(token('p9')) });
    expect(left.status).toBe(200);
    const updates = await watcher.received('table.updated', 2);
    expect(updates[1]).toMatchObject({ table: { id: 't4', seatedPlayerIds: [] } });
    // The leave's event came after the join's: had the join been delivered twice, a third would be here.
    expect(watcher.events.filter((entry) => entry.event === 'table.updated')).toHaveLength(2);
  });

  it('forwards a chat message to table-service with the caller’s identity and request id', async () => {
    const sender = await connect(stack.baseUrl, { token: token('chatty') });
    const listener = await connect(stack.baseUrl, { token: token('listener') });
    expect(await listener.request('subscribe', { channel: 'table:t2' })).toEqual({ ok: true });
    const ack = (await sender.request('message', { channel: 'table:t2', event: 'table.chat', data: { text: 'nice hand' } })) as {
      ok: boolean;
      result: { message: { id: string; playerId: string; tableId: string; text: string } };
    };
    expect(ack).toMatchObject({ ok: true, result: { message: { playerId: 'chatty', tableId: 't2', text: 'nice hand' } } });
    expect(await listener.received('table.chat')).toEqual([ack.result]);
    const logged = await stack.table.waitForLog((line) => line['rpc'] === 'TableController.postChatMessage', 'the chat rpc');
    expect(logged['code']).toBe('OK');
    expect(typeof logged['requestId']).toBe('string');
    expect(await sender.request('message', { channel: 'table:t2', event: 'table.chat', data: { text: '' } })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
    expect(await sender.request('message', { channel: 'table:nope', event: 'table.chat', data: { text: 'hi' } })).toMatchObject({
      ok: false,
      error: { code: 'not-found', status: 404 },
    });
  });

  it('counts who is online and puts it in the lobby', async () => {
    await connect(stack.baseUrl, { token: token('presence-user') });
    const presence = (await (await fetch(`${stack.baseUrl}/api/v1/presence`, { headers: bearer(token('p1')) })).json()) as { online: number };
    expect(presence.online).toBeGreaterThanOrEqual(1);
    const lobby = (await (await fetch(`${stack.baseUrl}/api/v1/lobby`, { headers: bearer(token('p1')) })).json()) as { online: number; partial: boolean };
    expect(lobby.partial).toBe(false);
    expect(lobby.online).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${stack.baseUrl}/api/v1/presence`)).status).toBe(401);
  });

  it('limits messages per connection with an error ack', async () => {
    const client = await connect(stack.baseUrl, { token: token('spammer') });
    const answers = [];
    for (let i = 0; i < 9; i++) answers.push(await client.request('subscribe', { channel: 'lobby' }));
    expect(answers.slice(0, 8)).toEqual(Array(8).fill({ ok: true }));
    expect(answers[8]).toMatchObject({ ok: false, error: { code: 'too-many-requests', status: 429 } });
    expect(client.socket.connected).toBe(true);
  });

  it('caps the connections one user holds', async () => {
    const first = await connect(stack.baseUrl, { token: token('capped') });
    await connect(stack.baseUrl, { token: token('capped') });
    const refused = await refusal(connectRealtime(stack.baseUrl, { token: token('capped') }));
    expect(refused.data).toMatchObject({ status: 429, type: 'https://portico.dev/problems/too-many-connections' });
    first.close();
    await waitFor(() => connectRealtime(stack.baseUrl, { token: token('capped') }).then((client) => (clients.push(client), true)), {
      timeoutMs: 5_000,
      description: 'a slot once a connection closed',
    });
  });

  it('closes a socket that stops answering heartbeats', async () => {
    const raw = new WebSocket(`ws://127.0.0.1:${new URL(stack.baseUrl).port}/socket.io/?EIO=4&transport=websocket`);
    const frames: string[] = [];
    let closed = false;
    raw.on('message', (data) => {
      const frame = (data as Buffer).toString('utf8');
      frames.push(frame);
      // Connect to the namespace, then never answer a ping ("2").
      if (frame.startsWith('0{')) raw.send(`40/realtime,${JSON.stringify({ token: token('silent') })}`);
    });
    raw.on('close', () => (closed = true));
    await waitFor(() => frames.some((frame) => frame.startsWith('40/realtime,{"sid"')), { description: 'the namespace connect' });
    await waitFor(() => closed, { timeoutMs: 5_000, description: 'the server to close the silent socket' });
    expect(frames).toContain('2');
    await waitFor(async () => /realtime_disconnects_total\{reason="ping timeout"\} [1-9]/.test(await metricsOf(stack.baseUrl)), {
      description: 'the ping timeout to be counted',
    });
  });

  it('exposes the socket metrics', async () => {
    const metrics = await metricsOf(stack.baseUrl);
    for (const name of ['realtime_connected_sockets', 'realtime_connects_total', 'realtime_messages_in_total', 'realtime_messages_out_total', 'realtime_delivery_latency_seconds_bucket']) {
      expect(metrics).toContain(name);
    }
    expect(metrics).toMatch(/realtime_messages_out_total\{event="table.updated"\} [1-9]/);
  });

  it('keeps socket.io out of table-service, which publishes with only ioredis', () => {
    const script = `
      import { registerHooks } from 'node:module';
      const loaded = [];
      registerHooks({ resolve(specifier, context, next) { const result = next(specifier, context); loaded.push(result.url); return result; } });
      await import('./dist/apps/table-service/table-service.module.js');
      console.log(JSON.stringify(loaded));`;
    const loaded = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' })) as string[];
    expect(loaded.some((url) => url.includes('realtime-publisher'))).toBe(true);
    expect(loaded.filter((url) => /socket\.io|engine\.io|\/libs\/realtime\//.test(url))).toEqual([]);
  });

  it('tells sockets to reconnect elsewhere when the gateway drains', async () => {
    const client = await connect(stack.baseUrl, { token: token('drained') });
    stack.gateway.signal('SIGTERM');
    expect(await client.received('server.draining')).toEqual([{ reason: 'server_draining', reconnect: true }]);
    expect(await client.disconnectReason()).toBe('io server disconnect');
    expect(await stack.gateway.exited).toBe(0);
  });
});

describe('socket.io beside the edge proxy', () => {
  it('serves socket.io and a route-file WebSocket tunnel on one port', async () => {
    const files = await TestUpstream.start('files');
    const edge = await startEdgeGateway({
      upstreams: { files: upstream([files.url]) },
      routes: [{ id: 'live', path: '/live', upstream: 'files', rewrite: '/socket', websocket: true }],
    });
    let client: RealtimeClient | undefined;
    const tunnel = new WebSocket(`ws://127.0.0.1:${edge.port}/live`, { headers: bearer(token('p7')) });
    const messages: string[] = [];
    tunnel.on('message', (data) => messages.push((data as Buffer).toString('utf8')));
    try {
      client = await connectRealtime(edge.baseUrl, { token: token('p7') });
      expect(await client.request('subscribe', { channel: 'lobby' })).toEqual({ ok: true });
      await waitFor(() => messages.includes('files:hello p7'), { timeoutMs: 5_000, description: 'the tunnelled greeting' });
      tunnel.send('still here');
      await waitFor(() => messages.includes('files:still here'), { timeoutMs: 5_000, description: 'the tunnelled echo' });
      expect(client.socket.connected).toBe(true);
    } finally {
      tunnel.close();
      client?.close();
      await edge.stop();
      await files.kill();
    }
  });
});
