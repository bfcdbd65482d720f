import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Me, Readiness } from './support/api-types.js';
import { call, expectProblem } from './support/http.js';
import { startGateway, startStack, stopAll, type Stack, type StartedGateway } from './support/stack.js';
import { bearer, token } from './support/token.js';
import { waitFor } from './support/wait-for.js';

const REQUIRED_MS = 400;

/** Accepts TCP connections and never says a word: no HTTP/2 preface, no gRPC answer. */
async function startSilentServer(): Promise<{ address: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** table-service is required for the lobby and table reads, optional for /me. */
describe('without table-service', () => {
  let stack: Stack | undefined;
  const caller = bearer(token('p1'));

  beforeAll(async () => {
    stack = await startStack({ gatewayEnv: { REQUIRED_SOURCE_TIMEOUT_MS: String(REQUIRED_MS) } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  describe('when it accepts connections but never answers', () => {
    let silent: Awaited<ReturnType<typeof startSilentServer>> | undefined;
    let gateway: StartedGateway | undefined;

    beforeAll(async () => {
      silent = await startSilentServer();
      gateway = await startGateway({
        playerAddress: stack!.playerAddress,
        tableAddress: silent.address,
        env: { REQUIRED_SOURCE_TIMEOUT_MS: String(REQUIRED_MS) },
        waitFor: 'live',
      });
    });

    afterAll(async () => {
      await stopAll([gateway?.process]);
      await silent?.close();
    });

    it('GET /api/v1/lobby is a 504 problem once the required deadline passes', async () => {
      const result = await call(gateway!.baseUrl, '/api/v1/lobby', { headers: caller });

      const problem = expectProblem(result, 504, 'upstream-timeout');
      expect(problem.detail).toContain('tables');
      expect(problem.instance).toBe('/api/v1/lobby');
      expect(result.elapsedMs).toBeGreaterThanOrEqual(REQUIRED_MS - 20);
      expect(result.elapsedMs).toBeLessThan(REQUIRED_MS + 3_000);
    });

    it('GET /api/v1/tables/t1 is a 504 problem as well', async () => {
      const problem = expectProblem(await call(gateway!.baseUrl, '/api/v1/tables/t1', { headers: caller }), 504, 'upstream-timeout');
      expect(problem.detail).toContain('table');
    });
  });

  describe('when it is killed', () => {
    beforeAll(async () => {
      // A first lobby call connects the channel, so the kill is noticed on a live connection.
      const before = await call(stack!.baseUrl, '/api/v1/lobby', { headers: caller });
      expect(before.status, before.text).toBe(200);
      stack!.table.signal('SIGKILL');
      await stack!.table.exited;
    });

    it('GET /api/v1/lobby is a 503 problem about tables', async () => {
      const result = await call(stack!.baseUrl, '/api/v1/lobby', { headers: caller });

      const problem = expectProblem(result, 503);
      expect(problem.type.endsWith('/upstream-unavailable'), problem.type).toBe(true);
      expect(problem.detail).toContain('tables');
      expect(problem.instance).toBe('/api/v1/lobby');
    });

    it('POST join is a 503 problem, not a silent success', async () => {
      const result = await call(stack!.baseUrl, '/api/v1/tables/t4/join', { method: 'POST', headers: caller });

      expectProblem(result, 503, 'upstream-unavailable');
    });

    it('/api/v1/me still answers 200, partial, with tables null', async () => {
      const result = await call<Me>(stack!.baseUrl, '/api/v1/me', { headers: caller });

      expect(result.status, result.text).toBe(200);
      expect(result.body.player.id).toBe('p1');
      expect(result.body.stats).not.toBeNull();
      expect(result.body.tables).toBeNull();
      expect(result.body.partial).toBe(true);
      expect(result.body.errors.map((error) => error.source)).toEqual(['tables']);
    });

    it('/health/ready is a 503 problem naming table-service', async () => {
      const result = await waitFor(
        async () => {
          const response = await call(stack!.baseUrl, '/health/ready');
          return response.status === 503 && response;
        },
        { timeoutMs: 5_000, description: '/health/ready to turn 503' },
      );
      const problem = expectProblem(result, 503, 'not-ready');
      expect(problem.detail).toContain('table-service');
      const checks = (problem as unknown as { checks: Readiness['details'] }).checks;
      expect(checks['table-service']?.status).toBe('down');
      expect(checks['player-service']?.status).toBe('up');
    });
  });
});
