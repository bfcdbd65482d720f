import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIssues, type RouteFileIssue } from './route-file-issue.js';
import { parseRouteFile, readRouteFile, validateRoute, type RouteFileOptions } from './route-file.js';

/** One string per line, so a test reads its expected line numbers off the array. */
const lines = (...text: string[]) => `${text.join('\n')}\n`;

const EXAMPLE = lines(
  'upstreams:',
  '  echo:',
  '    targets: [{ url: http://127.0.0.1:4001, weight: 1 }, { url: http://127.0.0.1:4002, weight: 3 }]',
  '    balancer: round-robin',
  '    timeout: { connectMs: 1000, requestMs: 5000 }',
  '    retries: { attempts: 2, backoffMs: 50 }',
  '    circuitBreaker: { failureThreshold: 5, openMs: 10000, halfOpenRequests: 1 }',
  '    healthCheck: { path: /healthz, intervalMs: 2000 }',
  '  blue: { targets: [{ url: "http://10.0.0.1:8080" }] }',
  '  green: { targets: [{ url: "http://10.0.0.2:8080" }] }',
  '  shadow: { targets: [{ url: "http://10.0.0.3:8080" }] }',
  'routes:',
  '  - id: echo',
  '    path: /api/echo/*',
  '    methods: [GET, POST]',
  '    match: { headers: { x-canary: "1" }, query: { v: "2" }, host: api.example.com }',
  '    priority: 10',
  '    upstream: echo',
  '    stripPrefix: /api/echo',
  '    auth: { public: true }',
  '    headers: { request: { set: {}, remove: [] }, response: { set: {}, remove: [] } }',
  '    mirror: { upstream: shadow, percent: 5 }',
  '  - id: users',
  '    path: /api/users/:id/*',
  '    split: [{ upstream: blue, weight: 90 }, { upstream: green, weight: 10 }]',
  '    rewrite: /v2/users/$1/$2',
  '    auth: { roles: [admin] }',
);

/** Lines 1-7: one upstream and one route; tests append lines from 8 on. */
const MINIMAL = [
  'upstreams:',
  '  echo:',
  '    targets: [{ url: "http://127.0.0.1:4001" }]',
  'routes:',
  '  - id: echo',
  '    path: /api/echo/*',
  '    upstream: echo',
];

function issuesOf(text: string, options?: RouteFileOptions, format: 'yaml' | 'json' = 'yaml'): RouteFileIssue[] {
  const result = parseRouteFile(text, format, options);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.issues;
}

describe('parseRouteFile', () => {
  it('accepts the documented example and fills the defaults', () => {
    const result = parseRouteFile(EXAMPLE, 'yaml');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { upstreams, routes } = result.file;
    expect(Object.keys(upstreams)).toEqual(['echo', 'blue', 'green', 'shadow']);
    expect(upstreams.echo).toMatchObject({
      timeout: { connectMs: 1000, requestMs: 5000 },
      retries: { attempts: 2, backoffMs: 50, maxBackoffMs: 1000, budgetRatio: 0.2 },
      healthCheck: { path: '/healthz', intervalMs: 2000, timeoutMs: 1000, healthyThreshold: 1, unhealthyThreshold: 2 },
      maxConnectionsPerTarget: 128,
      host: 'upstream',
    });
    expect(routes[0]).toEqual({
      id: 'echo',
      path: '/api/echo/*',
      methods: ['GET', 'POST'],
      match: { headers: { 'x-canary': '1' }, query: { v: '2' }, host: 'api.example.com' },
      priority: 10,
      upstream: 'echo',
      stripPrefix: '/api/echo',
      auth: { public: true, roles: [] },
      headers: { request: { set: {}, remove: [] }, response: { set: {}, remove: [] } },
      mirror: { upstream: 'shadow', percent: 5 },
      websocket: false,
    });
    expect(routes[1]).toMatchObject({ priority: 0, auth: { public: false, roles: ['admin'] }, rewrite: '/v2/users/$1/$2' });
  });

  it('points an unknown key at the key itself', () => {
    expect(issuesOf(lines(...MINIMAL, '    tiemoutMs: 5'))).toEqual([
      { path: 'routes[0].tiemoutMs', message: 'unknown key', line: 8, column: 5 },
    ]);
  });

  it('refuses a target URL that is not http(s)', () => {
    const text = lines(...MINIMAL).replace('http://127.0.0.1:4001', 'ftp://127.0.0.1');
    expect(issuesOf(text)).toEqual([
      { path: 'upstreams.echo.targets[0].url', message: 'expected an http:// or https:// URL', line: 3, column: 17 },
    ]);
  });

  it('accepts an upstream that discovers its targets, and locates a bad service name and a missing source', () => {
    const discovered = lines(...MINIMAL).replace('targets: [{ url: "http://127.0.0.1:4001" }]', 'discovery: { service: player-http }');
    expect(parseRouteFile(discovered, 'yaml').ok).toBe(true);
    expect(issuesOf(discovered.replace('player-http', 'Player_HTTP'))).toEqual([
      {
        path: 'upstreams.echo.discovery.service',
        message: expect.stringContaining('expected a service name') as string,
        line: 3,
        column: 18,
      },
    ]);
    expect(issuesOf(lines(...MINIMAL).replace('targets: [{ url: "http://127.0.0.1:4001" }]', 'prefer: { zone: eu-1 }'))).toEqual([
      { path: 'upstreams.echo', message: 'an upstream needs targets or discovery', line: 2, column: 3 },
    ]);
  });

  it('refuses a reference to an upstream that does not exist', () => {
    const text = lines(...MINIMAL, '    mirror: { upstream: shadow, percent: 5 }').replace('upstream: echo', 'upstream: ech0');
    expect(issuesOf(text)).toEqual([
      { path: 'routes[0].upstream', message: 'unknown upstream "ech0"', line: 7, column: 5 },
      { path: 'routes[0].mirror.upstream', message: 'unknown upstream "shadow"', line: 8, column: 15 },
    ]);
  });

  it('refuses a second route with the same id', () => {
    expect(issuesOf(lines(...MINIMAL, '  - id: echo', '    path: /other', '    upstream: echo'))).toEqual([
      { path: 'routes[1].id', message: 'duplicate route id "echo", first used by routes[0]', line: 8, column: 5 },
    ]);
  });

  it('refuses a route with both upstream and split', () => {
    expect(issuesOf(lines(...MINIMAL, '    split: [{ upstream: echo }]'))).toEqual([
      { path: 'routes[0].split', message: 'set either upstream or split, not both', line: 8, column: 5 },
    ]);
  });

  it('refuses a route with neither upstream nor split, pointing at the route', () => {
    expect(issuesOf(lines(...MINIMAL.slice(0, 6)))).toEqual([
      { path: 'routes[0]', message: 'a route needs an upstream or a split', line: 5, column: 5 },
    ]);
  });

  it('refuses a rewrite that refers to a capture the path does not have', () => {
    expect(issuesOf(lines(...MINIMAL, '    rewrite: /v2/$2'))).toEqual([
      {
        path: 'routes[0].rewrite',
        message: '$2 refers to no capture: the path has 1 (parameters in order, then the wildcard)',
        line: 8,
        column: 5,
      },
    ]);
  });

  it("refuses a route that could match under the gateway's own paths", () => {
    const text = lines(...MINIMAL).replace('/api/echo/*', '/:section/*');
    expect(issuesOf(text, { reservedPrefixes: ['/health', '/metrics', '/api/docs'] })).toEqual([
      {
        path: 'routes[0].path',
        message: "shadows the gateway's own /health, /metrics, /api/docs, which the gateway answers itself",
        line: 6,
        column: 5,
      },
    ]);
    expect(parseRouteFile(lines(...MINIMAL), 'yaml', { reservedPrefixes: ['/health', '/api/docs'] }).ok).toBe(true);
  });

  it('reports a YAML syntax error with its line and column', () => {
    expect(issuesOf(lines(...MINIMAL.slice(0, 5), '\tpath: /api/echo/*'))).toEqual([
      { path: '', message: 'Tabs are not allowed as indentation', line: 6, column: 1 },
    ]);
    expect(issuesOf(lines('upstreams: {}', 'upstreams: {}', 'routes: []'))).toEqual([
      { path: '', message: 'Map keys must be unique', line: 2, column: 1 },
    ]);
  });

  it('reports every problem of a file in one run, in source order', () => {
    const text = lines(
      'upstreams:',
      '  Echo: { targets: [] }',
      'routes:',
      '  - id: a',
      '    path: /a/:/b',
      '    upstream: missing',
      '  - id: a',
      '    path: /b',
      '    upstream: missing',
    );
    expect(issuesOf(text).map(({ path, line }) => `${line} ${path}`)).toEqual([
      '2 upstreams.Echo',
      '5 routes[0].path',
      '6 routes[0].upstream',
      '7 routes[1].id',
      '9 routes[1].upstream',
    ]);
  });

  it('refuses an empty file', () => {
    expect(issuesOf('')).toEqual([{ path: '', message: 'Invalid input: expected object, received null' }]);
  });

  describe('JSON', () => {
    const json = lines(
      '{',
      '  "upstreams": { "echo": { "targets": [{ "url": "http://127.0.0.1:4001" }] } },',
      '  "routes": [',
      '    { "id": "echo", "path": "/api/echo/*", "upstream": "echo" }',
      '  ]',
      '}',
    );

    it('parses the same file as YAML does', () => {
      expect(parseRouteFile(json, 'json')).toEqual(parseRouteFile(lines(...MINIMAL), 'yaml'));
    });

    it('locates issues in JSON source', () => {
      expect(issuesOf(json.replace('"upstream": "echo"', '"upstream": "nope"'), {}, 'json')).toEqual([
        { path: 'routes[0].upstream', message: 'unknown upstream "nope"', line: 4, column: 44 },
      ]);
    });

    it('reports syntax errors strictly, as JSON and not as YAML', () => {
      expect(issuesOf('{\n  "upstreams": {},\n  "routes": [],\n}\n', {}, 'json')).toEqual([
        { path: '', message: 'Expected double-quoted property name', line: 4, column: 1 },
      ]);
    });

    it('refuses a key written twice, which JSON.parse would silently drop', () => {
      expect(issuesOf('{\n  "upstreams": {},\n  "upstreams": {},\n  "routes": []\n}\n', {}, 'json')).toEqual([
        { path: '', message: 'Map keys must be unique', line: 3, column: 3 },
      ]);
    });
  });
});

describe('readRouteFile', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'portico-routes-'));
  });
  afterAll(() => rm(directory, { recursive: true }));

  it('chooses the format by extension and falls back to YAML', async () => {
    await writeFile(join(directory, 'routes.json'), '{ "upstreams": {}, "routes": [], }');
    await writeFile(join(directory, 'routes.yml'), lines(...MINIMAL));
    await writeFile(join(directory, 'routes.conf'), '{ "upstreams": {}, "routes": [] }');
    expect((await readRouteFile(join(directory, 'routes.json'))).ok).toBe(false);
    expect((await readRouteFile(join(directory, 'routes.yml'))).ok).toBe(true);
    expect((await readRouteFile(join(directory, 'routes.conf'))).ok).toBe(true);
  });

  it('turns a read error into one issue with the operating system message', async () => {
    const result = await readRouteFile(join(directory, 'missing.yaml'));
    expect(result).toEqual({
      ok: false,
      issues: [{ path: '', message: expect.stringContaining('ENOENT: no such file or directory') as string }],
    });
  });
});

describe('validateRoute', () => {
  const upstreams = new Set(['echo']);

  it('returns the normalised route', () => {
    expect(validateRoute({ id: 'echo', path: '/echo', upstream: 'echo', methods: ['get'] }, upstreams)).toMatchObject({
      ok: true,
      route: { methods: ['GET'], auth: { public: false, roles: [] } },
    });
  });

  it('names each problem by its path inside the route, without a location', () => {
    const result = validateRoute(
      { id: 'echo', path: '/admin/*', split: [{ upstream: 'blue' }], tiemoutMs: 1 },
      upstreams,
      { reservedPrefixes: ['/admin'] },
    );
    expect(result).toEqual({
      ok: false,
      issues: [
        { path: 'tiemoutMs', message: 'unknown key' },
        { path: 'split[0].upstream', message: 'unknown upstream "blue"' },
        { path: 'path', message: "shadows the gateway's own /admin, which the gateway answers itself" },
      ],
    });
  });

  it('refuses a body that is not an object', () => {
    expect(validateRoute('nope', upstreams)).toEqual({
      ok: false,
      issues: [{ path: '', message: 'Invalid input: expected object, received string' }],
    });
  });
});

describe('formatIssues', () => {
  it('writes one line per issue, located when the issue is', () => {
    expect(
      formatIssues('config/routes.yaml', [
        { path: 'routes[2].upstream', message: 'unknown upstream "x"', line: 12, column: 5 },
        { path: '', message: 'ENOENT: no such file or directory' },
      ]),
    ).toBe('config/routes.yaml:12:5 routes[2].upstream: unknown upstream "x"\nconfig/routes.yaml ENOENT: no such file or directory');
  });
});
