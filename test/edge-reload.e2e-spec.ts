import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AppProcess } from './support/app-process.js';
import { startEdgeGateway, upstream, type EdgeGateway } from './support/edge.js';
import { call, expectProblem } from './support/http.js';
import { TEST_JWT_SECRET } from './support/stack.js';
import { bearer, token } from './support/token.js';
import { TestUpstream, type EchoAnswer } from './support/upstream.js';
import { waitFor } from './support/wait-for.js';

const run = promisify(execFile);

const routesWith = (first: TestUpstream, second: TestUpstream, header: string) => ({
  upstreams: { main: upstream([first.url, second.url], { retries: { attempts: 1 } }) },
  routes: [
    {
      id: 'main',
      path: '/main/*',
      upstream: 'main',
      stripPrefix: '/main',
      auth: { public: true },
      headers: { request: { set: { 'x-version': header } } },
    },
    { id: 'live', path: '/live', upstream: 'main', websocket: true, auth: { public: true } },
  ],
});

describe('edge reloads and the admin API', () => {
  let one: TestUpstream;
  let two: TestUpstream;
  let edge: EdgeGateway;
  const admin = bearer(token('ops', { claims: { roles: ['admin'] } }));

  beforeAll(async () => {
    [one, two] = await Promise.all([TestUpstream.start('one'), TestUpstream.start('two')]);
    edge = await startEdgeGateway(routesWith(one, two, 'v0'));
  });

  afterAll(async () => {
    await edge?.stop();
    await Promise.all([one?.kill(), two?.kill()]);
  });

  it('swaps the table under load without a failed request or a dropped WebSocket', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${edge.port}/live`);
    const messages: string[] = [];
    socket.on('message', (data) => messages.push((data as Buffer).toString('utf8')));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));

    let stop = false;
    const failures: string[] = [];
    const versions = new Set<string>();
    let served = 0;
    const client = async () => {
      while (!stop) {
        const result = await call<EchoAnswer>(edge.baseUrl, '/main/x');
        served++;
        if (result.status !== 200) failures.push(`${result.status} ${result.text}`);
        else versions.add(String(result.body.headers['x-version']));
      }
    };
    const clients = Array.from({ length: 8 }, client);
    try {
      for (let version = 1; version <= 5; version++) {
        await edge.writeRoutes(routesWith(one, two, `v${version}`));
        await waitFor(() => versions.has(`v${version}`), { timeoutMs: 5_000, description: `routes v${version} to serve` });
      }
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(50);
    socket.send('still there');
    await waitFor(() => messages.includes('one:still there') || messages.includes('two:still there'), {
      timeoutMs: 5_000,
      description: 'the tunnel opened before the reloads to still echo',
    });
    socket.close();
  });

  it('refuses an invalid file, logs why, and keeps serving the previous table', async () => {
    await edge.writeRoutes({ upstreams: {}, routes: [{ id: 'broken', path: '/main/*', upstream: 'missing' }] });
    await edge.process.waitForLog((line) => String(line.msg).startsWith('route file rejected'), 'the rejected reload', 5_000);
    const result = await call<EchoAnswer>(edge.baseUrl, '/main/x');
    expect(result.status).toBe(200);

    const reload = await call(edge.baseUrl, '/admin/reload', { method: 'POST', headers: admin });
    const problem = expectProblem(reload, 422, 'invalid-routes');
    expect(problem.errors).toEqual([expect.objectContaining({ field: 'routes[0].upstream' })]);
    await edge.writeRoutes(routesWith(one, two, 'v9'));
    expect((await call(edge.baseUrl, '/admin/reload', { method: 'POST', headers: admin })).status).toBe(200);
  });

  it('keeps the admin API to admins', async () => {
    expectProblem(await call(edge.baseUrl, '/admin/routes'), 401, 'unauthorized');
    expectProblem(await call(edge.baseUrl, '/admin/routes', { headers: bearer(token('p1')) }), 403, 'forbidden');
    expectProblem(await call(edge.baseUrl, '/admin/reload', { method: 'POST', headers: bearer(token('p1')) }), 403, 'forbidden');
  });

  it('lists routes and upstreams, and adds, replaces and deletes routes at runtime', async () => {
    const routes = await call<{ routes: { id: string; source: string }[] }>(edge.baseUrl, '/admin/routes', { headers: admin });
    expect(routes.body.routes.map((route) => route.id)).toEqual(expect.arrayContaining(['main', 'live']));
    const upstreams = await call<{ upstreams: { name: string; targets: { url: string; circuit: string; health: string }[] }[] }>(
      edge.baseUrl,
      '/admin/upstreams',
      { headers: admin },
    );
    expect(upstreams.body.upstreams[0]).toMatchObject({ name: 'main', targets: [{ url: one.url, circuit: 'closed' }, { url: two.url, circuit: 'closed' }] });

    const put = (body: unknown) =>
      call(edge.baseUrl, '/admin/routes/extra', { method: 'PUT', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put({ path: '/extra/*', upstream: 'main', rewrite: '/added/$1', auth: { public: true } })).status).toBe(200);
    expect((await call<EchoAnswer>(edge.baseUrl, '/extra/y')).body.url).toBe('/added/y');
    expect((await put({ path: '/extra/*', upstream: 'main', rewrite: '/replaced/$1', auth: { public: true } })).status).toBe(200);
    expect((await call<EchoAnswer>(edge.baseUrl, '/extra/y')).body.url).toBe('/replaced/y');
    const invalid = expectProblem(await put({ path: '/extra/*', upstream: 'nowhere' }), 422, 'invalid-routes');
    expect(invalid.errors?.[0]?.field).toBe('upstream');

    expect((await call(edge.baseUrl, '/admin/routes/extra', { method: 'DELETE', headers: admin })).status).toBe(204);
    expectProblem(await call(edge.baseUrl, '/extra/y'), 404, 'not-found');
    expectProblem(await call(edge.baseUrl, '/admin/routes/extra', { method: 'DELETE', headers: admin }), 404, 'not-found');
  });

  it('documents the admin API in the OpenAPI document', async () => {
    const document = await call<{ paths: Record<string, unknown> }>(edge.baseUrl, '/api/docs-json');
    expect(Object.keys(document.body.paths)).toEqual(expect.arrayContaining(['/admin/routes', '/admin/upstreams', '/admin/routes/{id}', '/admin/reload']));
  });
});

describe('route file validation before start', () => {
  let dir: string;
  const invalid = `upstreams:
  echo:
    targets: [{ url: not-a-url }]
routes:
  - id: echo
    path: /health/*
    upstream: echo
    auth: { public: true }
`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portico-check-'));
    await writeFile(join(dir, 'bad.yaml'), invalid);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('routes:check prints every problem with its place in the file and exits non-zero', async () => {
    const failure = await run(process.execPath, ['dist/apps/gateway/cli/routes-check.js', join(dir, 'bad.yaml')]).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    const output = `${failure?.stdout}${failure?.stderr}`;
    expect(output).toMatch(/bad\.yaml:3:\d+ upstreams\.echo\.targets\[0\]\.url/);
    expect(output).toMatch(/bad\.yaml:6:\d+ routes\[0\]\.path: .*\/health/);

    const good = await run(process.execPath, ['dist/apps/gateway/cli/routes-check.js', 'config/routes.example.yaml']);
    expect(good.stdout).toMatch(/config\/routes\.example\.yaml: \d+ routes?, \d+ upstreams?, valid/);
  });

  it('the gateway refuses to start on an invalid route file, naming the problem', async () => {
    const gateway = new AppProcess('gateway', { PORT: '0', JWT_SECRET: TEST_JWT_SECRET, ROUTES_FILE: join(dir, 'bad.yaml') });
    expect(await gateway.exited).toBe(1);
    expect(gateway.output.join('\n')).toMatch(/Invalid route file .*bad\.yaml:[\s\S]*upstreams\.echo\.targets\[0\]\.url/);
  });
});
