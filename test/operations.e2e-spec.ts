import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/http.js';
import { startStack, type Stack } from './support/stack.js';
import { bearer, token } from './support/token.js';

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { security?: Record<string, string[]>[]; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, { required?: string[] }>; securitySchemes: Record<string, { type: string; scheme?: string }> };
}

/** `promtool check metrics < file`: the exit code and everything it printed. */
async function promtoolCheck(file: string): Promise<{ code: number | null; output: string }> {
  const input = openSync(file, 'r');
  try {
    const child = spawn('/usr/bin/promtool', ['check', 'metrics'], { stdio: [input, 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearTimeout(killer);
    return { code, output };
  } finally {
    closeSync(input);
  }
}

/** The value of the one series matching `name{...labels...}`, or undefined. */
function sample(exposition: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = new Map<string, string>();
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) present.set(key!, value!);
    if (Object.entries(labels).every(([key, value]) => present.get(key) === value)) return Number(match[3]);
  }
  return undefined;
}

describe('operations endpoints', () => {
  let stack: Stack | undefined;
  let base: string;
  let tempDir: string | undefined;

  beforeAll(async () => {
    stack = await startStack();
    base = stack.baseUrl;
    tempDir = await mkdtemp(join(tmpdir(), 'portico-e2e-'));
  });

  afterAll(async () => {
    await stack?.stop();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  });

  describe('OpenAPI', () => {
    let document: OpenApiDocument;

    beforeAll(async () => {
      const result = await call<OpenApiDocument>(base, '/api/docs-json');
      expect(result.status, result.text).toBe(200);
      document = result.body;
    });

    it('/api/docs serves the Swagger UI page without a token', async () => {
      const result = await call(base, '/api/docs');

      expect(result.status).toBe(200);
      expect(result.headers.get('content-type')).toMatch(/^text\/html\b/);
      expect(result.text).toMatch(/<html/i);
      expect(result.text).toContain('Swagger UI');
    });

    it('/api/docs-json is an OpenAPI 3 document listing every public route', async () => {
      const result = await call(base, '/api/docs-json');

      expect(result.status).toBe(200);
      expect(result.headers.get('content-type')).toMatch(/^application\/json\b/);
      expect(document.openapi).toMatch(/^3\./);
      const operations = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
      expect(operations).toEqual(
        expect.arrayContaining([
          'GET /api/v1/lobby',
          'GET /api/v1/me',
          'GET /api/v1/tables/{id}',
          'POST /api/v1/tables/{id}/join',
          'POST /api/v1/tables/{id}/leave',
          'GET /health/live',
          'GET /health/ready',
          'GET /admin/routes',
          'GET /admin/upstreams',
          'GET /admin/services',
          'GET /api/v1/analytics/sessions',
          'POST /admin/cache/invalidate',
        ]),
      );
      // /metrics is for Prometheus, not an API resource.
      expect(Object.keys(document.paths)).not.toContain('/metrics');
    });

    it('declares a bearer JWT scheme, used by the API routes, and the ProblemDetails schema for errors', () => {
      const schemes = Object.values(document.components.securitySchemes);
      expect(schemes).toContainEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
      const bearerName = Object.entries(document.components.securitySchemes).find(([, scheme]) => scheme.scheme === 'bearer')![0];
      expect(document.paths['/api/v1/lobby']?.['get']?.security).toEqual([{ [bearerName]: [] }]);

      const problem = document.components.schemas['ProblemDetails'];
      expect(problem?.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'instance', 'requestId']));
      expect(JSON.stringify(document.paths['/api/v1/tables/{id}/join']?.['post']?.responses['409'])).toContain(
        '#/components/schemas/ProblemDetails',
      );
    });

    it('passes the Redocly recommended ruleset with no errors, and warns only where a rule cannot apply', async () => {
      const config = await createConfig({ extends: ['recommended'] });
      const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config });

      const described = problems.map(
        (problem) => `${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer ?? '?'}`,
      );
      // Health probes answer 200 or 503 and have no client error (4XX) to document; every other warning fails.
      const expectedWarning = /^warn operation-4xx-response: .* at #\/paths\/~1health~1(live|ready)\/get\/responses$/;
      // One assertion over both severities, so a failure lists every problem at once.
      expect({
        errors: described.filter((line) => line.startsWith('error')),
        warnings: described.filter((line) => line.startsWith('warn') && !expectedWarning.test(line)),
      }).toEqual({ errors: [], warnings: [] });
    });
  });

  describe('/metrics', () => {
    let exposition: string;

    beforeAll(async () => {
      const lobby = await call(base, '/api/v1/lobby', { headers: bearer(token('p1')) });
      expect(lobby.status, lobby.text).toBe(200);
      const result = await call(base, '/metrics');
      expect(result.status, result.text).toBe(200);
      expect(result.headers.get('content-type')).toMatch(/^text\/plain\b/);
      exposition = result.text;
    });

    it('answers without a token', async () => {
      const result = await call(base, '/metrics');

      expect(result.status).toBe(200);
      expect(result.headers.get('cache-control')).toBe('no-store');
    });

    it('counts the lobby call by route template and status class, with its duration histogram', () => {
      expect(sample(exposition, 'http_server_requests_total', { method: 'GET', route: '/api/v1/lobby', status_class: '2xx' })).toBe(1);
      expect(
        sample(exposition, 'http_server_request_duration_seconds_bucket', { route: '/api/v1/lobby', status_class: '2xx', le: '+Inf' }),
      ).toBe(1);
      expect(exposition).toMatch(/^# TYPE http_server_request_duration_seconds histogram$/m);
    });

    it('times the upstream calls by upstream and outcome', () => {
      expect(sample(exposition, 'upstream_request_duration_seconds_count', { upstream: 'table-service', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(sample(exposition, 'upstream_request_duration_seconds_count', { upstream: 'player-service', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
      expect(exposition).toMatch(/^upstream_request_duration_seconds_bucket\{.*upstream="table-service".*outcome="ok".*\} \d+$/m);
    });

    it('carries the process metrics', () => {
      expect(sample(exposition, 'process_cpu_seconds_total', {})).toBeGreaterThan(0);
    });

    it('routes that match nothing share one label instead of one series per path', async () => {
      await call(base, `/scanner/${Date.now()}`);
      const after = (await call(base, '/metrics')).text;

      expect(after).not.toMatch(/route="\/scanner\//);
      expect(sample(after, 'http_server_requests_total', { route: 'unmatched', status_class: '4xx' })).toBeGreaterThanOrEqual(1);
    });

    it('passes promtool check metrics', async () => {
      const file = join(tempDir!, 'metrics.prom');
      await writeFile(file, exposition);

      const { code, output } = await promtoolCheck(file);

      expect(output.split('\n').filter((line) => line.trim() !== '')).toEqual([]);
      expect(code).toBe(0);
    });
  });
});
