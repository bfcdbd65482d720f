import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdgeGateway, upstream, type EdgeGateway } from './support/edge.js';
import { startGateway, stopAll, type StartedGateway } from './support/stack.js';
import { freePort } from './support/free-port.js';
import { call, expectProblem, type CallResult } from './support/http.js';
import { bearer, token } from './support/token.js';
import { waitFor } from './support/wait-for.js';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.net';
const HEADERS_TIMEOUT_MS = 1_000;
const MAX_HEADER_BYTES = 4_096;
const BIG_TEXT = 'portico '.repeat(1_000);

/** An upstream answering what compression and CORS pass-through need: an echo of the method, a big text, an event stream. */
async function startUpstream(): Promise<{ server: Server; url: string }> {
  const port = await freePort();
  const server = createServer((request, response) => {
    request.resume();
    if (request.url === '/text') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end(BIG_TEXT);
    } else if (request.url === '/events') {
      response.writeHead(200, { 'content-type': 'text/event-stream' }).end(`data: ${BIG_TEXT}\n\n`);
    } else {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: request.method }));
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${port}` };
}

/** A raw TCP client, for what fetch cannot send: trickled or oversized headers, and broken HTTP. */
function rawClient(port: number): { socket: Socket; received: () => string; closed: () => boolean } {
  const socket = connect(port, '127.0.0.1');
  let data = '';
  let closed = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (data += chunk));
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  return { socket, received: () => data, closed: () => closed };
}

/** The problem+json body of a raw HTTP answer. */
function problemOf(raw: string): { status: number; type: string; requestId: string; instance: string } {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { status: number; type: string; requestId: string; instance: string };
}

describe('edge hardening: CORS, security headers, compression and client limits', () => {
  let origin: { server: Server; url: string };
  let edge: EdgeGateway;
  let base: string;

  beforeAll(async () => {
    origin = await startUpstream();
    edge = await startEdgeGateway(
      {
        upstreams: { origin: upstream([origin.url]) },
        routes: [{ id: 'files', path: '/files/*', upstream: 'origin', stripPrefix: '/files', auth: { public: true } }],
      },
      {
        CORS_ORIGINS: `${APP},https://*.example.org`,
        CORS_CREDENTIALS: 'true',
        CORS_MAX_AGE_S: '300',
        TRUST_PROXY: 'loopback',
        HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        REQUEST_TIMEOUT_MS: '5000',
        MAX_HEADER_BYTES: String(MAX_HEADER_BYTES),
        COMPRESSION_THRESHOLD_BYTES: '1024',
      },
    );
    base = edge.baseUrl;
  });

  afterAll(async () => {
    await edge?.stop();
    await new Promise((resolve) => origin?.server.close(resolve));
  });

  const preflight = (path: string, from: string) =>
    call(base, path, {
      method: 'OPTIONS',
      headers: { origin: from, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });

  const expectAllowedPreflight = (result: CallResult, from: string) => {
    expect(result.status, result.text).toBe(204);
    expect(result.headers.get('access-control-allow-origin')).toBe(from);
    expect(result.headers.get('access-control-allow-credentials')).toBe('true');
    expect(result.headers.get('access-control-allow-methods')).toContain('POST');
    expect(result.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(result.headers.get('access-control-max-age')).toBe('300');
    expect(result.headers.get('vary')).toMatch(/origin/i);
  };

  describe('CORS', () => {
    it('answers a preflight from an allowed origin on a code-first route', async () => {
      expectAllowedPreflight(await preflight('/api/v1/lobby', APP), APP);
    });

    it('answers a preflight from an origin matching a pattern on a route-file route', async () => {
      expectAllowedPreflight(await preflight('/files/anything', 'https://a.b.example.org'), 'https://a.b.example.org');
    });

    it.each(['/api/v1/lobby', '/files/anything'])('refuses a preflight from another origin on %s with 403 problem+json and no CORS headers', async (path) => {
      const result = await preflight(path, EVIL);

      const problem = expectProblem(result, 403, 'cors-origin-refused');
      expect(problem.detail).toContain(EVIL);
      expect(result.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('lets a plain OPTIONS request (no preflight) through to the route table', async () => {
      const result = await call<{ method: string }>(base, '/files/anything', { method: 'OPTIONS' });

      expect(result.status, result.text).toBe(200);
      expect(result.body.method).toBe('OPTIONS');
    });

    it('marks actual responses for an allowed origin, code-first and proxied, and exposes the gateway headers', async () => {
      for (const path of ['/health/live', '/files/anything']) {
        const result = await call(base, path, { headers: { origin: APP } });
        expect(result.status, `${path}: ${result.text}`).toBe(200);
        expect(result.headers.get('access-control-allow-origin'), path).toBe(APP);
        expect(result.headers.get('access-control-expose-headers'), path).toMatch(/RateLimit-Remaining.*Retry-After.*x-request-id.*x-cache.*ETag/);
      }
      const refused = await call(base, '/health/live', { headers: { origin: EVIL } });
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('security headers', () => {
    it.each(['/health/live', '/files/anything'])('sends nosniff, frame options, referrer policy and a JSON CSP on %s, without HSTS over plain http', async (path) => {
      const result = await call(base, path);

      expect(result.status, result.text).toBe(200);
      expect(result.headers.get('x-content-type-options')).toBe('nosniff');
      expect(result.headers.get('x-frame-options')).toBe('DENY');
      expect(result.headers.get('referrer-policy')).toBe('no-referrer');
      expect(result.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(result.headers.get('strict-transport-security')).toBeNull();
    });

    it.each(['/health/live', '/files/anything'])('sends HSTS on %s when a trusted proxy says the request came over https', async (path) => {
      const result = await call(base, path, { headers: { 'x-forwarded-proto': 'https' } });

      expect(result.headers.get('strict-transport-security')).toMatch(/^max-age=31536000; includeSubDomains$/);
    });

    it('gives the Swagger UI page its own CSP, hashes instead of unsafe-inline', async () => {
      const result = await call(base, '/api/docs');

      expect(result.status).toBe(200);
      const policy = result.headers.get('content-security-policy') ?? '';
      expect(policy).toMatch(/style-src 'self' 'sha256-/);
      expect(policy).not.toContain('unsafe-inline');
    });
  });

  describe('compression', () => {
    const fetchEncoded = (path: string, acceptEncoding: string) => call(base, path, { headers: { 'accept-encoding': acceptEncoding } });

    it('prefers brotli, falls back to gzip, and sends identity to a client that asks for neither', async () => {
      const brotli = await fetchEncoded('/api/docs-json', 'gzip, deflate, br');
      expect(brotli.headers.get('content-encoding')).toBe('br');
      expect(brotli.headers.get('vary')).toMatch(/accept-encoding/i);
      expect((JSON.parse(brotli.text) as { openapi: unknown }).openapi).toEqual(expect.any(String));

      expect((await fetchEncoded('/api/docs-json', 'gzip')).headers.get('content-encoding')).toBe('gzip');
      expect((await fetchEncoded('/api/docs-json', 'identity')).headers.get('content-encoding')).toBeNull();
    });

    it('leaves a body under the threshold uncompressed', async () => {
      const result = await fetchEncoded('/health/live', 'br, gzip');

      expect(result.status).toBe(200);
      expect(result.text.length).toBeLessThan(1_024);
      expect(result.headers.get('content-encoding')).toBeNull();
    });

    it('passes proxied responses through as the upstream sent them, event streams included', async () => {
      for (const path of ['/files/text', '/files/events']) {
        const result = await fetchEncoded(path, 'br, gzip');
        expect(result.status, path).toBe(200);
        expect(result.text, path).toContain(BIG_TEXT);
        expect(result.headers.get('content-encoding'), path).toBeNull();
      }
    });
  });

  describe('input validation', () => {
    const adminToken = bearer(token('ops', { claims: { roles: ['admin'] } }));
    const admin = { ...adminToken, 'content-type': 'application/json' };

    it('a bad path parameter is a 400 problem naming it', async () => {
      const result = await call(base, '/admin/routes/Not%20An%20Id', { method: 'DELETE', headers: adminToken });

      const problem = expectProblem(result, 400, 'validation-failed');
      expect(problem.errors?.map((error) => error.field)).toEqual(['id']);
    });

    it('a bad query value is a 400 problem naming it, and a good one applies', async () => {
      const bad = expectProblem(await call(base, '/admin/routes?source=elsewhere', { headers: adminToken }), 400, 'validation-failed');
      expect(bad.errors?.map((error) => error.field)).toEqual(['source']);

      const good = await call<{ routes: { id: string }[] }>(base, '/admin/routes?source=file', { headers: adminToken });
      expect(good.status, good.text).toBe(200);
      expect(good.body.routes.map((route) => route.id)).toEqual(['files']);
    });

    it('a body of the wrong shape is a 400 problem naming it; a route with bad fields is a 422 naming each', async () => {
      const shape = expectProblem(await call(base, '/admin/routes/extra', { method: 'PUT', headers: admin, body: '["a route"]' }), 400, 'validation-failed');
      expect(shape.errors?.map((error) => error.field)).toEqual(['body']);

      const fields = expectProblem(
        await call(base, '/admin/routes/extra', { method: 'PUT', headers: admin, body: JSON.stringify({ path: '/extra/*', upstream: 'nowhere' }) }),
        422,
        'invalid-routes',
      );
      expect(fields.errors?.map((error) => error.field).join(' ')).toContain('upstream');
    });

    it('malformed JSON is a 400 problem', async () => {
      const result = await call(base, '/admin/routes/extra', { method: 'PUT', headers: admin, body: '{"path": ' });

      expect(expectProblem(result, 400, 'bad-request').detail.toLowerCase()).toContain('json');
    });
  });

  describe('client limits', () => {
    it(`answers headers over MAX_HEADER_BYTES (${MAX_HEADER_BYTES}) with 431 problem+json and closes the connection`, async () => {
      const client = rawClient(edge.port);
      client.socket.write(`GET /health/live HTTP/1.1\r\nHost: gateway\r\nx-padding: ${'a'.repeat(MAX_HEADER_BYTES * 2)}\r\n\r\n`);

      await waitFor(() => client.closed(), { timeoutMs: 10_000, description: 'the gateway to close the connection' });
      const raw = client.received();
      expect(raw).toMatch(/^HTTP\/1\.1 431 /);
      expect(raw).toMatch(/\r\ncontent-type: application\/problem\+json\r\n/i);
      expect(problemOf(raw)).toMatchObject({ status: 431, type: 'https://portico.dev/problems/headers-too-large' });
      expect(raw).toContain(`x-request-id: ${problemOf(raw).requestId}`);
    });

    it('answers a request Node cannot parse with 400 problem+json', async () => {
      const client = rawClient(edge.port);
      client.socket.write('NOT HTTP AT ALL\r\n\r\n');

      await waitFor(() => client.closed(), { timeoutMs: 10_000, description: 'the gateway to close the connection' });
      expect(client.received()).toMatch(/^HTTP\/1\.1 400 /);
      expect(problemOf(client.received())).toMatchObject({ status: 400, type: 'https://portico.dev/problems/bad-request' });
    });

    it(`cuts off a slowloris client that trickles headers past HEADERS_TIMEOUT_MS (${HEADERS_TIMEOUT_MS} ms)`, async () => {
      const client = rawClient(edge.port);
      client.socket.write('GET /health/live HTTP/1.1\r\nHost: gateway\r\n');
      // One more header line every 200 ms, forever: each keeps the socket busy, none completes the request.
      let line = 0;
      const trickle = setInterval(() => {
        if (!client.closed()) client.socket.write(`x-slow-${line++}: 1\r\n`);
      }, 200);
      try {
        await waitFor(() => client.closed(), { timeoutMs: 20_000, description: 'the gateway to cut the slow client off' });
      } finally {
        clearInterval(trickle);
      }
      expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(problemOf(client.received())).toMatchObject({ status: 408, type: 'https://portico.dev/problems/request-timeout' });
      // The gateway still serves everyone else.
      expect((await call(base, '/health/live')).status).toBe(200);
    });
  });
});

describe('edge hardening without a trusted proxy', () => {
  let gateway: StartedGateway | undefined;

  beforeAll(async () => {
    gateway = await startGateway({
      playerAddress: `127.0.0.1:${await freePort()}`,
      tableAddress: `127.0.0.1:${await freePort()}`,
      waitFor: 'live',
      env: { TRUST_PROXY: 'false' },
    });
  });

  afterAll(async () => {
    await stopAll([gateway?.process]);
  });

  it('ignores a client-sent X-Forwarded-Proto: https, so sends no HSTS over plain http', async () => {
    const result = await call(gateway!.baseUrl, '/health/live', { headers: { 'x-forwarded-proto': 'https' } });

    expect(result.status).toBe(200);
    expect(result.headers.get('x-content-type-options')).toBe('nosniff');
    expect(result.headers.get('strict-transport-security')).toBeNull();
  });

  it('sends no CORS headers and answers no preflight while CORS_ORIGINS is unset', async () => {
    const result = await call(gateway!.baseUrl, '/api/v1/lobby', {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'GET' },
    });

    // No route answers OPTIONS there, so it is what any unknown request is.
    expectProblem(result, 404, 'not-found');
    expect(result.headers.get('access-control-allow-origin')).toBeNull();
  });
});
