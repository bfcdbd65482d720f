import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppProcess } from './support/app-process.js';
import type { Lobby, TableDetail } from './support/api-types.js';
import { startEdgeGateway, upstream } from './support/edge.js';
import { call, expectProblem, type CallResult } from './support/http.js';
import { startGateway, startStack, stopAll, type Stack, type StartedGateway } from './support/stack.js';
import { bearer, token } from './support/token.js';
import { TestUpstream } from './support/upstream.js';
import { waitFor } from './support/wait-for.js';

const DRAIN_DELAY_MS = 1_500;
const SHUTDOWN_TIMEOUT_MS = 5_000;
// Longer than the drain delay, so a lobby call waiting on a paused player-service is still in flight when the app closes.
const OPTIONAL_MS = 2_500;

const drainEnv = {
  SHUTDOWN_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
  SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  OPTIONAL_SOURCE_TIMEOUT_MS: String(OPTIONAL_MS),
};

/** The exit code, or 'still running' when the process outlives the bound (it is stopped in afterAll). */
function exitWithin(app: AppProcess, ms: number): Promise<number | null | 'still running'> {
  return Promise.race([app.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), ms).unref())]);
}

describe('graceful shutdown on SIGTERM', () => {
  let stack: Stack | undefined;
  const caller = bearer(token('p1'));

  beforeAll(async () => {
    stack = await startStack({ gatewayEnv: drainEnv });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  describe('with no request in flight', () => {
    let gateway: StartedGateway | undefined;
    let signalledAt = 0;

    beforeAll(async () => {
      gateway = await startGateway({ playerAddress: stack!.playerAddress, tableAddress: stack!.tableAddress, env: drainEnv });
    });

    afterAll(async () => {
      await stopAll([gateway?.process]);
    });

    it('during the drain delay /health/ready is a 503 draining problem while liveness and new requests succeed', async () => {
      const base = gateway!.baseUrl;
      expect((await call(base, '/health/ready')).status).toBe(200);

      signalledAt = performance.now();
      gateway!.process.signal('SIGTERM');
      await gateway!.process.waitForLog((line) => line.msg === 'draining before exit', 'draining before exit', 5_000);

      const draining = await waitFor(
        async () => {
          const response = await call(base, '/health/ready');
          return response.status === 503 && response;
        },
        { timeoutMs: 1_000, intervalMs: 20, description: '/health/ready to answer 503 while draining' },
      );
      const problem = expectProblem(draining, 503, 'draining');
      expect(problem.instance).toBe('/health/ready');

      const live = await call<{ status: string }>(base, '/health/live');
      expect(live.status).toBe(200);
      expect(live.body).toEqual({ status: 'ok' });
      const lobby = await call<Lobby>(base, '/api/v1/lobby', { headers: caller });
      expect(lobby.status, lobby.text).toBe(200);
      expect(lobby.body.partial).toBe(false);
      // Everything above happened inside the delay, or it would not show what it claims to.
      expect(gateway!.process.running).toBe(true);
      expect(performance.now() - signalledAt).toBeLessThan(DRAIN_DELAY_MS);
    });

    it('then exits 0, not before the drain delay has passed', async () => {
      const code = await exitWithin(gateway!.process, SHUTDOWN_TIMEOUT_MS + 3_000);

      expect(code, gateway!.process.describe()).toBe(0);
      expect(performance.now() - signalledAt).toBeGreaterThanOrEqual(DRAIN_DELAY_MS - 50);
      expect(gateway!.process.logs.some((line) => line.msg === 'drained; exiting')).toBe(true);
    });
  });

  describe('with a request in flight when the app closes', () => {
    let inFlight: Promise<CallResult<Lobby>>;

    beforeAll(async () => {
      // The tables answer, then the names wait on a paused player-service until their 2.5 s deadline:
      // the request is still running when the 1.5 s drain delay ends and the app closes.
      stack!.player.signal('SIGSTOP');
      const requestId = 'e2e-shutdown-in-flight';
      inFlight = call<Lobby>(stack!.baseUrl, '/api/v1/lobby', { headers: { ...caller, 'x-request-id': requestId }, timeoutMs: 15_000 });
      inFlight.catch(() => undefined);
      await stack!.table.waitForLog(
        (line) => line.msg === 'rpc handled' && line['requestId'] === requestId,
        'the in-flight request to reach table-service',
      );
      stack!.gateway.signal('SIGTERM');
      await stack!.gateway.waitForLog((line) => line.msg === 'draining before exit', 'draining before exit', 5_000);
    });

    it('a new request inside the delay is still served', async () => {
      const table = await call<TableDetail>(stack!.baseUrl, '/api/v1/tables/t4', { headers: caller });

      expect(table.status, table.text).toBe(200);
      expect(table.body.table.id).toBe('t4');
    });

    it('the in-flight request gets its (partial) answer', async () => {
      const answered = await inFlight;

      expect(answered.status, answered.text).toBe(200);
      expect(answered.body.partial).toBe(true);
      expect(answered.body.errors.map((error) => error.source)).toEqual(['players']);
      expect(answered.body.tables).toHaveLength(5);
    });

    it('the gateway then exits 0, within SHUTDOWN_TIMEOUT_MS', async () => {
      // The client (Node fetch) keeps its connection alive, as load balancers do.
      const code = await exitWithin(stack!.gateway, SHUTDOWN_TIMEOUT_MS + 3_000);

      expect(code, stack!.gateway.describe()).toBe(0);
      expect(stack!.gateway.logs.some((line) => line.msg === 'drain did not finish in time; exiting')).toBe(false);
    });
  });

  it('player-service and table-service drain and exit 0 on SIGTERM too', async () => {
    stack!.player.signal('SIGCONT');
    const codes = await Promise.all([stack!.player.stop(10_000), stack!.table.stop(10_000)]);

    expect(codes).toEqual([0, 0]);
    for (const app of [stack!.player, stack!.table]) {
      expect(app.logs.some((line) => line.msg === 'drained; exiting'), app.describe()).toBe(true);
    }
  });

  it('a route-file request served while draining asks its keep-alive client to close the connection', async () => {
    const origin = await TestUpstream.start('origin');
    const edge = await startEdgeGateway(
      { upstreams: { origin: upstream([origin.url]) }, routes: [{ id: 'files', path: '/files/*', upstream: 'origin', auth: { public: true } }] },
      drainEnv,
    );
    try {
      const before = await call(edge.baseUrl, '/files/a');
      expect(before.status).toBe(200);
      expect(before.headers.get('connection')).not.toBe('close');

      edge.process.signal('SIGTERM');
      await edge.process.waitForLog((line) => line.msg === 'draining before exit', 'draining before exit', 5_000);
      const during = await call(edge.baseUrl, '/files/a');
      expect(during.status).toBe(200);
      expect(during.headers.get('connection')).toBe('close');
    } finally {
      await edge.stop();
      await origin.kill();
    }
  });
});
