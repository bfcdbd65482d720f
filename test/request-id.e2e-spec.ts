import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from './support/app-process.js';
import { call, expectProblem, UUID } from './support/http.js';
import { startStack, type Stack } from './support/stack.js';
import { bearer, token } from './support/token.js';

const unique = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex')}`;

const completedLine = (requestId: string) => (line: LogLine) =>
  line['requestId'] === requestId && typeof line.msg === 'string' && line.msg.startsWith('request ');

const rpcLine = (requestId: string, rpc: string) => (line: LogLine) =>
  line.msg === 'rpc handled' && line['requestId'] === requestId && line['rpc'] === rpc;

describe('request ids', () => {
  let stack: Stack | undefined;
  let base: string;

  beforeAll(async () => {
    // debug also logs 4xx problems, so the redaction check below covers more of what a process can print.
    stack = await startStack({
      gatewayEnv: { LOG_LEVEL: 'debug' },
      playerEnv: { LOG_LEVEL: 'debug' },
      tableEnv: { LOG_LEVEL: 'debug' },
    });
    base = stack.baseUrl;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('a valid incoming x-request-id is echoed and followed into the gateway, player-service and table-service logs', async () => {
    const requestId = `${unique('e2e-trace')}.span:01`;
    const result = await call(base, '/api/v1/lobby', { headers: { ...bearer(token('p1')), 'x-request-id': requestId } });

    expect(result.status, result.text).toBe(200);
    expect(result.headers.get('x-request-id')).toBe(requestId);

    const gatewayLine = await stack!.gateway.waitForLog(completedLine(requestId), `the request line of ${requestId}`);
    expect(gatewayLine).toMatchObject({ requestId, method: 'GET', url: '/api/v1/lobby', route: '/api/v1/lobby', statusCode: 200 });
    const tableLine = await stack!.table.waitForLog(rpcLine(requestId, 'TableController.listTables'), `listTables for ${requestId}`);
    expect(tableLine['code']).toBe('OK');
    const playerLine = await stack!.player.waitForLog(
      rpcLine(requestId, 'PlayerController.batchGetPlayers'),
      `batchGetPlayers for ${requestId}`,
    );
    expect(playerLine['code']).toBe('OK');
  });

  it('the request id of a failed call is in the problem body, the header and the services logs alike', async () => {
    const requestId = unique('e2e-missing');
    const result = await call(base, '/api/v1/tables/t9', { headers: { ...bearer(token('p1')), 'x-request-id': requestId } });

    const problem = expectProblem(result, 404, 'not-found');
    expect(problem.requestId).toBe(requestId);
    const tableLine = await stack!.table.waitForLog(rpcLine(requestId, 'TableController.getTable'), `getTable for ${requestId}`);
    expect(tableLine['code']).toBe('NOT_FOUND');
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['with spaces and angle brackets', 'bad id <script>'],
    ['with a slash', 'tenant/123'],
    ['empty', ''],
  ])('an x-request-id %s is replaced with a fresh UUID, which then travels to the services', async (_name, incoming) => {
    const result = await call(base, '/api/v1/lobby', { headers: { ...bearer(token('p1')), 'x-request-id': incoming } });

    expect(result.status, result.text).toBe(200);
    const assigned = result.headers.get('x-request-id');
    expect(assigned).toMatch(UUID);
    expect(assigned).not.toBe(incoming);
    await stack!.gateway.waitForLog(completedLine(assigned!), `the request line of ${assigned}`);
    await stack!.table.waitForLog(rpcLine(assigned!, 'TableController.listTables'), `listTables for ${assigned}`);
    for (const app of stack!.all()) {
      if (incoming.length > 0) expect(app.output.some((line) => line.includes(incoming)), app.name).toBe(false);
    }
  });

  it('two requests without an id get two different UUIDs', async () => {
    const first = await call(base, '/health/live');
    const second = await call(base, '/health/live');

    expect(first.headers.get('x-request-id')).toMatch(UUID);
    expect(second.headers.get('x-request-id')).toMatch(UUID);
    expect(first.headers.get('x-request-id')).not.toBe(second.headers.get('x-request-id'));
  });

  it('no process ever logs the authorization header value or the cookie', async () => {
    const cookieValue = unique('cookie-secret');
    const validToken = token('p2');
    const garbageToken = unique('garbage-token-secret');
    const calls = [
      { path: '/api/v1/lobby', authorization: `Bearer ${validToken}`, status: 200 },
      { path: '/api/v1/tables/t9', authorization: `Bearer ${validToken}`, status: 404 },
      { path: '/api/v1/lobby', authorization: `Bearer ${garbageToken}`, status: 401 },
    ];
    for (const [index, { path, authorization, status }] of calls.entries()) {
      const requestId = unique(`e2e-secrets-${index}`);
      const result = await call(base, path, {
        headers: { authorization, cookie: `session=${cookieValue}; theme=dark`, 'x-request-id': requestId },
      });
      expect(result.status, result.text).toBe(status);
      // Wait until the gateway has logged this request, so the assertion below sees its lines.
      await stack!.gateway.waitForLog(completedLine(requestId), `the request line of ${requestId}`);
    }

    const secrets = [cookieValue, validToken, garbageToken];
    for (const app of stack!.all()) {
      expect(app.output.length, app.name).toBeGreaterThan(0);
      const leaks = app.output.filter((line) => secrets.some((secret) => line.includes(secret)));
      expect(leaks, `${app.name} logged a secret`).toEqual([]);
    }
  });
});
