import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdgeGateway, upstream, type EdgeGateway } from './support/edge.js';
import { call, expectProblem, rawGet } from './support/http.js';
import { bearer, token } from './support/token.js';
import { TestUpstream, type EchoAnswer } from './support/upstream.js';
import { waitFor } from './support/wait-for.js';

describe('edge routing: matching, rewriting, headers and auth on route-file routes', () => {
  let blue: TestUpstream;
  let green: TestUpstream;
  let edge: EdgeGateway;

  beforeAll(async () => {
    [blue, green] = await Promise.all([TestUpstream.start('blue'), TestUpstream.start('green')]);
    edge = await startEdgeGateway({
      upstreams: {
        blue: upstream([blue.url]),
        green: upstream([green.url]),
        'green-as-is': upstream([green.url], { host: 'preserve' }),
      },
      routes: [
        { id: 'items', path: '/api/items/*', upstream: 'blue', stripPrefix: '/api/items', auth: { public: true } },
        { id: 'item-special', path: '/api/items/special', upstream: 'green', auth: { public: true } },
        { id: 'items-urgent', path: '/api/items/urgent/*', priority: 10, upstream: 'green', rewrite: '/urgent/$1', auth: { public: true } },
        { id: 'user-orders', path: '/api/users/:user/orders/:order', upstream: 'blue', rewrite: '/owners/:user/orders/:order', methods: ['GET'], auth: { public: true } },
        { id: 'canary', path: '/api/canary', upstream: 'green', match: { headers: { 'x-canary': '1' } }, auth: { public: true } },
        { id: 'canary-query', path: '/api/canary', upstream: 'green', match: { query: { v: '2' } }, auth: { public: true } },
        { id: 'stable', path: '/api/canary', upstream: 'blue', auth: { public: true } },
        { id: 'by-host', path: '/api/host', upstream: 'green', match: { host: '*.example.test' }, auth: { public: true } },
        {
          id: 'headers',
          path: '/api/headers',
          upstream: 'blue',
          auth: { public: true },
          headers: {
            request: { set: { 'x-gateway': 'portico' }, remove: ['x-remove-me'] },
            response: { set: { 'x-served-by': 'portico' }, remove: ['x-internal-secret'] },
          },
        },
        { id: 'private', path: '/api/private/*', upstream: 'blue', stripPrefix: '/api/private' },
        { id: 'admins', path: '/api/admins/*', upstream: 'blue', auth: { roles: ['admin'] } },
        { id: 'writes', path: '/api/writes', methods: ['POST'], upstream: 'blue', bodyLimitBytes: 1024, auth: { public: true } },
        { id: 'v2', path: '/api/v2/things/*', upstream: 'green', rewrite: '/things/$1', auth: { public: true } },
        {
          id: 'split',
          path: '/api/split',
          split: [
            { upstream: 'blue', weight: 3 },
            { upstream: 'green', weight: 1 },
          ],
          auth: { public: true },
        },
        { id: 'shadowed', path: '/api/shadowed', upstream: 'blue', mirror: { upstream: 'green', percent: 100 }, auth: { public: true } },
        { id: 'as-is', path: '/api/as-is', upstream: 'green-as-is', auth: { public: true } },
        // Covers the gateway's own code-first /api/v1/lobby, which must keep answering itself.
        { id: 'over-code-first', path: '/api/v1/*', upstream: 'blue', auth: { public: true } },
      ],
    });
  });

  afterAll(async () => {
    await edge?.stop();
    await Promise.all([blue?.kill(), green?.kill()]);
  });

  const get = (path: string, headers: Record<string, string> = {}) => call<EchoAnswer>(edge.baseUrl, path, { headers });

  it('strips a prefix, keeps the query, and answers with the upstream body', async () => {
    const result = await get('/api/items/a/b?x=1&y=2');
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ server: 'blue', method: 'GET', url: '/a/b?x=1&y=2' });
    expect(result.headers.get('x-upstream')).toBe('blue');
  });

  it('prefers the more specific path, and a higher priority over specificity', async () => {
    expect((await get('/api/items/special')).body.server).toBe('green');
    expect((await get('/api/items/urgent/now')).body).toMatchObject({ server: 'green', url: '/urgent/now' });
    expect((await get('/api/items')).body).toMatchObject({ server: 'blue', url: '/' });
  });

  it('leaves code-first routes to the gateway where a route-file path covers them too', async () => {
    // Public on the route, so a 401 can only come from the lobby controller's own guard.
    expectProblem(await get('/api/v1/lobby'), 401, 'unauthorized');
    expect((await call(edge.baseUrl, '/api/v1/lobby', { method: 'HEAD' })).status).toBe(401);
    expect((await get('/api/v1/lobby/elsewhere')).body).toMatchObject({ server: 'blue', url: '/api/v1/lobby/elsewhere' });
  });

  it('refuses a path with broken percent-encoding with a 400 problem instead of forwarding it', async () => {
    expectProblem(await get('/api/items/%E0%A4%A'), 400, 'bad-request');
    expectProblem(await get('/api/items/%zz'), 400, 'bad-request');
    expect((await get('/api/items/a%20b')).body).toMatchObject({ server: 'blue', url: '/a%20b' });
  });

  it('never forwards a method outside those the proxy serves (TRACE), even on a route open to every method', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const outgoing = request(`${edge.baseUrl}/api/items/x`, { method: 'TRACE', agent: false }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      outgoing.on('error', reject);
      outgoing.end();
    });
    expect(status).toBe(404);
  });

  it('rewrites with named params, and refuses other methods with 405 and Allow', async () => {
    expect((await get('/api/users/u%201/orders/42')).body).toMatchObject({ server: 'blue', url: '/owners/u%201/orders/42' });
    const refused = await call(edge.baseUrl, '/api/users/u1/orders/42', { method: 'DELETE' });
    expectProblem(refused, 405, 'method-not-allowed');
    expect(refused.headers.get('allow')).toContain('GET');
  });

  it('routes by header, query and host (A/B and canaries)', async () => {
    expect((await get('/api/canary')).body.server).toBe('blue');
    expect((await get('/api/canary', { 'x-canary': '1' })).body.server).toBe('green');
    expect((await get('/api/canary?v=2')).body.server).toBe('green');
    expect((await rawGet<EchoAnswer>(edge.baseUrl, '/api/host', { host: 'shop.example.test' })).body.server).toBe('green');
    expect((await rawGet(edge.baseUrl, '/api/host', { host: 'elsewhere.test' })).status).toBe(404);
  });

  it('applies header transforms both ways and never forwards hop-by-hop headers', async () => {
    const hop = await rawGet<EchoAnswer>(edge.baseUrl, '/api/headers', { 'x-hop-only': 'yes', connection: 'keep-alive, x-hop-only' });
    // Named in the client's Connection header, so it was meant for the gateway alone.
    expect(hop.body.headers['x-hop-only']).toBeUndefined();
    // The upstream hop has its own Connection header (undici's keep-alive), not the client's.
    expect(String(hop.body.headers['connection'])).not.toContain('x-hop-only');
    const result = await get('/api/headers', { 'x-remove-me': 'secret' });
    const seen = result.body.headers;
    expect(seen['x-gateway']).toBe('portico');
    expect(seen['x-remove-me']).toBeUndefined();
    expect(seen['x-request-id']).toBe(result.headers.get('x-request-id'));
    expect(result.headers.get('x-served-by')).toBe('portico');
    expect(result.headers.get('x-internal-secret')).toBeNull();
    expect(result.headers.get('x-hop-marker')).toBeNull();
  });

  it('rebuilds X-Forwarded-* from the socket, ignoring what an untrusted client claims', async () => {
    const seen = (
      await get('/api/items/x', { 'x-forwarded-for': '203.0.113.9', forwarded: 'for=203.0.113.9', 'x-forwarded-host': 'evil.test' })
    ).body.headers;
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['forwarded']).toBe(`for=127.0.0.1;proto=http;host="127.0.0.1:${edge.port}"`);
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${edge.port}`);
  });

  it('splits traffic between upstreams by weight (canary, blue-green)', async () => {
    const servers: string[] = [];
    for (let index = 0; index < 200; index++) servers.push((await get('/api/split')).body.server);
    const canary = servers.filter((server) => server === 'green').length;
    // 50 expected; the bounds are over six standard deviations wide.
    expect(canary).toBeGreaterThan(25);
    expect(canary).toBeLessThan(80);
  });

  it('mirrors requests to a shadow upstream whose answers the client never sees', async () => {
    const before = green.served;
    const result = await get('/api/shadowed?probe=1');
    expect(result.body.server).toBe('blue');
    await waitFor(() => green.served > before, { timeoutMs: 5_000, description: 'the mirrored request to reach green' });
  });

  it('sends the upstream its own Host unless the upstream preserves the client’s', async () => {
    expect((await get('/api/items/x')).body.headers['host']).toBe(`127.0.0.1:${blue.port}`);
    expect((await get('/api/as-is')).body.headers['host']).toBe(`127.0.0.1:${edge.port}`);
  });

  it('requires a valid token unless the route is public, and never calls the upstream without one', async () => {
    const before = blue.served;
    expectProblem(await get('/api/private/x'), 401, 'unauthorized');
    expectProblem(await get('/api/private/x', bearer('not-a-token')), 401, 'unauthorized');
    expectProblem(await get('/api/private/x', bearer(token('p1', { expiresInSeconds: -30 }))), 401, 'unauthorized');
    expectProblem(await get('/api/admins/x', bearer(token('p1'))), 403, 'forbidden');
    expect(blue.served).toBe(before);

    const allowed = await get('/api/private/me', { ...bearer(token('p1', { claims: { roles: ['player'] } })), 'x-portico-sub': 'admin' });
    expect(allowed.status).toBe(200);
    // The verified identity, not the client's claim of one.
    expect(allowed.body.headers['x-portico-sub']).toBe('p1');
    expect(allowed.body.headers['x-portico-roles']).toBe('player');
    expect((await get('/api/admins/x', bearer(token('p1', { claims: { roles: ['admin'] } })))).status).toBe(200);
  });

  it('answers unknown paths with the gateway 404 problem, and keeps its own endpoints first', async () => {
    expectProblem(await get('/api/nowhere'), 404, 'not-found');
    expect((await get('/health/live')).status).toBe(200);
    expect((await call(edge.baseUrl, '/metrics')).text).toContain('proxy_upstream_requests_total');
  });

  it('counts proxied requests under their route in the HTTP metrics, refusals included', async () => {
    expect((await get('/api/items/counted')).status).toBe(200);
    expect((await get('/api/private/counted')).status).toBe(401);
    const metrics = (await call(edge.baseUrl, '/metrics')).text;
    expect(metrics).toMatch(/^http_server_requests_total\{[^}]*route="route:items"[^}]*status_class="2xx"[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^http_server_requests_total\{[^}]*route="route:private"[^}]*status_class="4xx"[^}]*\} [1-9]/m);
  });

  it('refuses a body over the route limit with 413 before calling the upstream', async () => {
    const before = blue.served;
    const result = await call(edge.baseUrl, '/api/writes', { method: 'POST', body: 'x'.repeat(2048), headers: { 'content-type': 'text/plain' } });
    expectProblem(result, 413, 'payload-too-large');
    expect(blue.served).toBe(before);
    expect((await call(edge.baseUrl, '/api/writes', { method: 'POST', body: '{"ok":true}', headers: { 'content-type': 'application/json' } })).status).toBe(200);
  });

  it('serves a version by URI and by media type alike', async () => {
    expect((await get('/api/v2/things/1')).body).toMatchObject({ server: 'green', url: '/things/1' });
    expect((await get('/api/things/1', { accept: 'application/vnd.portico.v2+json' })).body).toMatchObject({ server: 'green', url: '/things/1' });
    // Code-first controllers answer the same way: /api/lobby with a v1 media type reaches /api/v1/lobby.
    expectProblem(await get('/api/lobby', { accept: 'application/vnd.portico.v1+json' }), 401, 'unauthorized');
  });
});
