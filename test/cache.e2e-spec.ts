import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { tableV1 } from '@portico/contracts';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TableDetail } from './support/api-types.js';
import { call, expectProblem, type CallResult } from './support/http.js';
import { startDedicatedRedis } from './support/redis.js';
import { startGateway, startStack, stopAll, type Stack, type StartedGateway } from './support/stack.js';
import { bearer, token } from './support/token.js';
import { TestUpstream, type EchoAnswer } from './support/upstream.js';
import { waitFor } from './support/wait-for.js';

type DedicatedRedis = Awaited<ReturnType<typeof startDedicatedRedis>>;

const xCache = (result: CallResult) => result.headers.get('x-cache');

/** Seats a player through table-service's own gRPC API, bypassing the gateway entirely. */
function joinDirectly(address: string, tableId: string, playerId: string): Promise<tableV1.Table> {
  const client = new tableV1.TableServiceClient(address, credentials.createInsecure());
  return new Promise<tableV1.Table>((resolve, reject) => {
    client.joinTable({ tableId, playerId }, (error, table) => {
      client.close();
      if (error) reject(error);
      else resolve(table);
    });
  });
}

// Two gateways and table-service share one Redis of the suite's own (it is stopped in the last test);
// both gateways also serve a route file whose cached routes proxy to a test upstream.
describe('response caching across gateway instances', () => {
  let redis: DedicatedRedis;
  let upstream: TestUpstream;
  let stack: Stack;
  let second: StartedGateway;
  let dir: string;
  let run = 0;

  const user = () => `cache-${process.pid}-${++run}`;
  const as = (sub: string, extra: Record<string, string> = {}) => ({ ...bearer(token(sub)), ...extra });
  const admin = bearer(token('ops', { claims: { roles: ['admin'] } }));
  const metric = async (base: string, pattern: RegExp) => pattern.test((await call(base, '/metrics')).text);

  beforeAll(async () => {
    redis = await startDedicatedRedis();
    upstream = await TestUpstream.start('cached');
    dir = await mkdtemp(join(tmpdir(), 'portico-cache-'));
    const routes = join(dir, 'routes.yaml');
    await writeFile(
      routes,
      stringify({
        upstreams: { cached: { targets: [{ url: upstream.url }] } },
        routes: [
          { id: 'cached', path: '/edge/cached/*', methods: ['GET'], upstream: 'cached', stripPrefix: '/edge/cached', cache: { ttl: '1m', varyBy: ['query'], tags: ['edge'] } },
          { id: 'shared', path: '/edge/shared/*', methods: ['GET'], upstream: 'cached', stripPrefix: '/edge/shared', cache: { ttl: '1m', public: true, tags: ['edge'] } },
          { id: 'swr', path: '/edge/swr/*', methods: ['GET'], upstream: 'cached', stripPrefix: '/edge/swr', cache: { ttl: '1s', public: true, staleWhileRevalidate: '1m' } },
        ],
      }),
    );
    const gatewayEnv = { CACHE_ENABLED: 'true', REDIS_URL: redis.url, ROUTES_FILE: routes, ROUTES_WATCH: 'false', CACHE_MAX_ENTRY_BYTES: '65536' };
    stack = await startStack({ gatewayEnv, tableEnv: { REDIS_URL: redis.url } });
    second = await startGateway({ playerAddress: stack.playerAddress, tableAddress: stack.tableAddress, env: gatewayEnv });
  });

  afterAll(async () => {
    await stopAll([second?.process]);
    await stack?.stop();
    await upstream?.kill();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers a public handler from the cache on the other instance: MISS, then HIT with the same body, ETag and an Age', async () => {
    await call(stack.baseUrl, '/admin/cache/invalidate', { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: '{"routes":["/api/v1/tables/:id"]}' });
    const first = await call<TableDetail>(stack.baseUrl, '/api/v1/tables/t1', { headers: as(user()) });
    expect(first.status, first.text).toBe(200);
    expect(xCache(first)).toBe('MISS');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);

    // Public: another user, on another instance, gets the same entry.
    const hit = await call<TableDetail>(second.baseUrl, '/api/v1/tables/t1', { headers: as(user()) });
    expect(hit.status).toBe(200);
    expect(xCache(hit)).toBe('HIT');
    expect(hit.text).toBe(first.text);
    expect(hit.headers.get('etag')).toBe(etag);
    expect(hit.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Number(hit.headers.get('age'))).toBeGreaterThanOrEqual(0);
    expect(await metric(second.baseUrl, /^cache_lookups_total\{policy="\/api\/v1\/tables\/:id",outcome="hit"\} [1-9]/m)).toBe(true);
  });

  it('answers 304 to a matching If-None-Match, and 200 to a stale tag', async () => {
    const first = await call(stack.baseUrl, '/api/v1/tables/t2', { headers: as(user()) });
    const etag = first.headers.get('etag') as string;
    const unchanged = await call(second.baseUrl, '/api/v1/tables/t2', { headers: as(user(), { 'if-none-match': etag }) });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe('');
    expect(unchanged.headers.get('etag')).toBe(etag);
    const changed = await call(second.baseUrl, '/api/v1/tables/t2', { headers: as(user(), { 'if-none-match': '"something-else"' }) });
    expect(changed.status).toBe(200);
    expect(changed.text).toBe(first.text);
  });

  it('keeps the lobby per user: another user never gets the first one’s entry', async () => {
    const alice = user();
    const bob = user();
    expect(xCache(await call(stack.baseUrl, '/api/v1/lobby', { headers: as(alice) }))).toBe('MISS');
    expect(xCache(await call(second.baseUrl, '/api/v1/lobby', { headers: as(alice) }))).toBe('HIT');
    const other = await call(second.baseUrl, '/api/v1/lobby', { headers: as(bob) });
    expect(other.status).toBe(200);
    expect(xCache(other)).toBe('MISS');
    expect(xCache(await call(stack.baseUrl, '/api/v1/lobby', { headers: as(bob) }))).toBe('HIT');
  });

  it('never serves a cached answer to a request without a valid token', async () => {
    await call(stack.baseUrl, '/api/v1/tables/t1', { headers: as(user()) });
    expectProblem(await call(second.baseUrl, '/api/v1/tables/t1'), 401, 'unauthorized');
    expectProblem(await call(second.baseUrl, '/edge/shared/anything'), 401, 'unauthorized');
  });

  it('shows a join through the gateway at once: write, then read the fresh seats', async () => {
    const before = await call<TableDetail>(stack.baseUrl, '/api/v1/tables/t4', { headers: as('p7') });
    expect(before.body.table.seats.map((seat) => seat.playerId)).not.toContain('p7');
    expect(xCache(await call(second.baseUrl, '/api/v1/tables/t4', { headers: as('p8') }))).toBe('HIT');
    const joined = await call(second.baseUrl, '/api/v1/tables/t4/join', { method: 'POST', headers: as('p7') });
    expect(joined.status, joined.text).toBe(200);
    const after = await call<TableDetail>(stack.baseUrl, '/api/v1/tables/t4', { headers: as('p7') });
    expect(xCache(after)).toBe('MISS');
    expect(after.body.table.seats.map((seat) => seat.playerId)).toContain('p7');
    const left = await call(stack.baseUrl, '/api/v1/tables/t4/leave', { method: 'POST', headers: as('p7') });
    expect(left.status).toBe(200);
    const gone = await call<TableDetail>(second.baseUrl, '/api/v1/tables/t4', { headers: as('p7') });
    expect(gone.body.table.seats.map((seat) => seat.playerId)).not.toContain('p7');
  });

  it('drops entries when table-service publishes an invalidation after JoinTable, with no gateway involved in the write', async () => {
    const before = await call<TableDetail>(stack.baseUrl, '/api/v1/tables/t5', { headers: as(user()) });
    expect(before.body.table.seats.map((seat) => seat.playerId)).not.toContain('p8');
    expect(xCache(await call(second.baseUrl, '/api/v1/tables/t5', { headers: as(user()) }))).toBe('HIT');
    const table = await joinDirectly(stack.tableAddress, 't5', 'p8');
    expect(table.seatedPlayerIds).toContain('p8');
    const after = await call<TableDetail>(second.baseUrl, '/api/v1/tables/t5', { headers: as(user()) });
    expect(xCache(after)).toBe('MISS');
    expect(after.body.table.seats.map((seat) => seat.playerId)).toContain('p8');
  });

  it('invalidates by tag and by route through the admin API, for admins only', async () => {
    await call(stack.baseUrl, '/api/v1/tables/t3', { headers: as(user()) });
    expect(xCache(await call(second.baseUrl, '/api/v1/tables/t3', { headers: as(user()) }))).toBe('HIT');
    const json = { ...admin, 'content-type': 'application/json' };
    const result = await call(stack.baseUrl, '/admin/cache/invalidate', { method: 'POST', headers: json, body: '{"tags":["tables"]}' });
    expect(result.status, result.text).toBe(200);
    expect(result.body).toEqual({ tags: ['tables'], routes: [] });
    expect(xCache(await call(second.baseUrl, '/api/v1/tables/t3', { headers: as(user()) }))).toBe('MISS');

    expect(xCache(await call(stack.baseUrl, '/edge/shared/by-route', { headers: as(user()) }))).toBe('MISS');
    expect(xCache(await call(second.baseUrl, '/edge/shared/by-route', { headers: as(user()) }))).toBe('HIT');
    await call(second.baseUrl, '/admin/cache/invalidate', { method: 'POST', headers: json, body: '{"routes":["shared"]}' });
    expect(xCache(await call(stack.baseUrl, '/edge/shared/by-route', { headers: as(user()) }))).toBe('MISS');

    expectProblem(await call(stack.baseUrl, '/admin/cache/invalidate', { method: 'POST', headers: { ...as(user()), 'content-type': 'application/json' }, body: '{"tags":["tables"]}' }), 403, 'forbidden');
    expectProblem(await call(stack.baseUrl, '/admin/cache/invalidate', { method: 'POST', headers: json, body: '{}' }), 400, 'validation-failed');
  });

  it('caches a route-file route per user: one upstream call for MISS then HIT across instances, none for the hit', async () => {
    const alice = user();
    const path = `/edge/cached/item?run=${run}`;
    const served = upstream.served;
    const first = await call<EchoAnswer>(stack.baseUrl, path, { headers: as(alice) });
    expect(first.status).toBe(200);
    expect(xCache(first)).toBe('MISS');
    expect(first.body.headers['x-portico-sub']).toBe(alice);
    const hit = await call<EchoAnswer>(second.baseUrl, path, { headers: as(alice) });
    expect(xCache(hit)).toBe('HIT');
    expect(hit.text).toBe(first.text);
    expect(hit.headers.get('x-upstream')).toBe('cached');
    expect(upstream.served).toBe(served + 1);
    const head = await call(second.baseUrl, path, { method: 'HEAD', headers: as(alice) });
    expect(head.status).toBe(200);
    expect(xCache(head)).toBe('HIT');
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(first.text)));
    // Another user's request is never answered with alice's echo.
    const bob = await call<EchoAnswer>(second.baseUrl, path, { headers: as(user()) });
    expect(xCache(bob)).toBe('MISS');
    expect(bob.body.headers['x-portico-sub']).not.toBe(alice);
    // varyBy query: another query is another entry.
    expect(xCache(await call(second.baseUrl, `${path}&page=2`, { headers: as(alice) }))).toBe('MISS');
    expect(upstream.served).toBe(served + 3);
  });

  it('streams bodies over the entry limit through whole, without storing them', async () => {
    const sub = user();
    const path = `/edge/cached/download?bytes=100000&run=${run}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const big = await call(stack.baseUrl, path, { headers: as(sub) });
      expect(big.status).toBe(200);
      expect(xCache(big)).toBe('MISS');
      expect(Buffer.byteLength(big.text)).toBe(100_000);
    }
    const small = `/edge/cached/download?bytes=1000&run=${run}`;
    const first = await call(stack.baseUrl, small, { headers: as(sub) });
    const hit = await call(second.baseUrl, small, { headers: as(sub) });
    expect(xCache(hit)).toBe('HIT');
    expect(hit.text).toBe(first.text);
    expect(hit.headers.get('content-type')).toBe('application/octet-stream');
  });

  it('coalesces concurrent misses for one key into one upstream call', async () => {
    const path = `/edge/shared/slow?ms=300&run=${run}`;
    const served = upstream.served;
    const answers = await Promise.all(Array.from({ length: 5 }, () => call(stack.baseUrl, path, { headers: as(user()) })));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((answer) => answer.text)).size).toBe(1);
    expect(upstream.served).toBe(served + 1);
  });

  it('serves stale while exactly one refresh runs, then the fresh answer', async () => {
    const path = `/edge/swr/item?run=${run}`;
    const first = await call<EchoAnswer>(stack.baseUrl, path, { headers: as(user()) });
    expect(xCache(first)).toBe('MISS');
    const served = upstream.served;
    // Once the entry is a second old, every instance serves it stale; only one of them refreshes it.
    await waitFor(async () => xCache(await call(stack.baseUrl, path, { headers: as(user()) })) === 'STALE', { timeoutMs: 5_000, description: 'a stale answer' });
    const burst = await Promise.all(
      Array.from({ length: 6 }, (_, index) => call(index % 2 ? second.baseUrl : stack.baseUrl, path, { headers: as(user()) })),
    );
    for (const answer of burst) expect(['STALE', 'HIT']).toContain(xCache(answer));
    const fresh = await waitFor(
      async () => {
        const answer = await call<EchoAnswer>(second.baseUrl, path, { headers: as(user()) });
        return xCache(answer) === 'HIT' && answer.body.headers['x-request-id'] !== first.body.headers['x-request-id'] && answer;
      },
      { timeoutMs: 5_000, description: 'the refreshed entry' },
    );
    expect(fresh.status).toBe(200);
    expect(upstream.served).toBe(served + 1);
    expect(await metric(stack.baseUrl, /^cache_lookups_total\{policy="swr",outcome="stale"\} [1-9]/m)).toBe(true);
  });

  it('bypasses the cache while Redis is down, still answering 200, and caches again once it is back', async () => {
    const port = redis.port;
    await redis.stop();
    const bypassed = await waitFor(
      async () => {
        const answer = await call(stack.baseUrl, '/api/v1/tables/t1', { headers: as(user()) });
        return xCache(answer) === 'BYPASS' && answer;
      },
      { timeoutMs: 10_000, description: 'a BYPASS answer' },
    );
    expect(bypassed.status).toBe(200);
    const edge = await call(second.baseUrl, `/edge/shared/down?run=${run}`, { headers: as(user()) });
    expect(edge.status).toBe(200);
    expect(xCache(edge)).toBe('BYPASS');
    expect(await metric(stack.baseUrl, /^cache_degraded 1$/m)).toBe(true);
    expect(await metric(stack.baseUrl, /^cache_lookups_total\{policy="\/api\/v1\/tables\/:id",outcome="bypass"\} [1-9]/m)).toBe(true);
    const warnings = stack.gateway.logs.filter((line) => line.msg === 'cache store unavailable: requests bypass the cache');
    expect(warnings).toHaveLength(1);

    redis = await startDedicatedRedis({ port });
    await waitFor(async () => xCache(await call(stack.baseUrl, '/api/v1/tables/t1', { headers: as(user()) })) === 'HIT', {
      timeoutMs: 15_000,
      description: 'caching to resume',
    });
    expect(await metric(stack.baseUrl, /^cache_degraded 0$/m)).toBe(true);
  });
});

// Without REDIS_URL each gateway caches in its own memory; its write endpoints invalidate there.
describe('response caching in memory', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ gatewayEnv: { CACHE_ENABLED: 'true', REDIS_URL: undefined } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('caches, and shows a join through the gateway to the next read', async () => {
    const reader = bearer(token('p2'));
    expect(xCache(await call(stack.baseUrl, '/api/v1/tables/t1', { headers: reader }))).toBe('MISS');
    const cached = await call<TableDetail>(stack.baseUrl, '/api/v1/tables/t1', { headers: reader });
    expect(xCache(cached)).toBe('HIT');
    expect(cached.body.table.seats.map((seat) => seat.playerId)).not.toContain('p3');
    const joined = await call(stack.baseUrl, '/api/v1/tables/t1/join', { method: 'POST', headers: bearer(token('p3')) });
    expect(joined.status, joined.text).toBe(200);
    const after = await call<TableDetail>(stack.baseUrl, '/api/v1/tables/t1', { headers: reader });
    expect(xCache(after)).toBe('MISS');
    expect(after.body.table.seats.map((seat) => seat.playerId)).toContain('p3');
    expect(await call(stack.baseUrl, '/metrics').then((metrics) => /^cache_memory_bytes [1-9]/m.test(metrics.text))).toBe(true);
  });
});
