import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lobby, Readiness, TableDetail } from './support/api-types.js';
import { call, expectProblem } from './support/http.js';
import { startGateway, startStack, stopAll, type Stack } from './support/stack.js';
import { bearer, token } from './support/token.js';
import { waitFor } from './support/wait-for.js';

const OPTIONAL_MS = 300;
const REQUIRED_MS = 1_000;
// The deadline plus generous room for a loaded 2-core machine: a behaviour bound, not a performance target.
const ANSWER_BOUND_MS = 3_000;

/**
 * player-service is optional for the lobby and table reads (names) but required for /me (the player).
 * First it hangs (SIGSTOP: connections stay open, nothing answers) so the deadlines decide; then it dies.
 */
describe('without player-service', () => {
  let stack: Stack | undefined;
  let base: string;
  const caller = bearer(token('p1'));

  beforeAll(async () => {
    stack = await startStack({
      gatewayEnv: { OPTIONAL_SOURCE_TIMEOUT_MS: String(OPTIONAL_MS), REQUIRED_SOURCE_TIMEOUT_MS: String(REQUIRED_MS) },
    });
    base = stack.baseUrl;
    // The channel to player-service is connected before it is paused, so calls really wait on the deadline.
    const lobby = await call<Lobby>(base, '/api/v1/lobby', { headers: caller });
    expect(lobby.body.partial, lobby.text).toBe(false);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  describe('hanging (SIGSTOP)', () => {
    beforeAll(() => {
      stack!.player.signal('SIGSTOP');
    });

    it('the lobby answers 200 partial after the optional deadline, names null, error 504 for players', async () => {
      const result = await call<Lobby>(base, '/api/v1/lobby', { headers: caller });

      expect(result.status, result.text).toBe(200);
      expect(result.body.partial).toBe(true);
      expect(result.body.errors).toHaveLength(1);
      expect(result.body.errors[0]).toMatchObject({ source: 'players', status: 504 });
      expect(result.body.errors[0]!.detail).toContain(`${OPTIONAL_MS} ms`);
      expect(result.body.tables).toHaveLength(5);
      const seats = result.body.tables.flatMap((table) => table.seats);
      expect(seats.length).toBeGreaterThan(0);
      for (const seat of seats) expect(seat.displayName, seat.playerId).toBeNull();
      expect(result.elapsedMs).toBeGreaterThanOrEqual(OPTIONAL_MS - 20);
      expect(result.elapsedMs).toBeLessThan(ANSWER_BOUND_MS);
    });

    it('/api/v1/me is a 504 problem once the required deadline passes', async () => {
      const result = await call(base, '/api/v1/me', { headers: caller });

      const problem = expectProblem(result, 504, 'upstream-timeout');
      expect(problem.detail).toContain('player');
      expect(result.elapsedMs).toBeLessThan(REQUIRED_MS + ANSWER_BOUND_MS);
    });

    it('a client that goes away cancels the calls still waiting on player-service', async () => {
      // Deadlines far beyond the wait below: any cancelled call can only come from the client leaving.
      const patient = await startGateway({
        playerAddress: stack!.playerAddress,
        tableAddress: stack!.tableAddress,
        env: { OPTIONAL_SOURCE_TIMEOUT_MS: '60000', REQUIRED_SOURCE_TIMEOUT_MS: '60000' },
        waitFor: 'live',
      });
      try {
        const cancelledCalls = async () => {
          const metrics = await call(patient.baseUrl, '/metrics');
          const series = 'upstream_request_duration_seconds_count{upstream="player-service",outcome="cancelled"}';
          const line = metrics.text.split('\n').find((row) => row.startsWith(series));
          return Number(line?.split(' ')[1] ?? 0);
        };

        // /me waits on GetPlayer and GetStats, both on the hanging player-service; the client gives up.
        await expect(fetch(`${patient.baseUrl}/api/v1/me`, { headers: caller, signal: AbortSignal.timeout(200) })).rejects.toThrow();

        const cancelled = await waitFor(async () => ((await cancelledCalls()) >= 2 ? cancelledCalls() : undefined), {
          timeoutMs: 10_000,
          description: 'both player-service calls to end as cancelled',
        });
        expect(cancelled).toBe(2);
      } finally {
        await stopAll([patient.process]);
      }
    });
  });

  describe('killed (SIGKILL)', () => {
    beforeAll(async () => {
      stack!.player.signal('SIGKILL');
      await stack!.player.exited;
    });

    it('the lobby answers 200 with partial:true, errors[0].source players and null names, within the bound', async () => {
      const result = await call<Lobby>(base, '/api/v1/lobby', { headers: caller });

      expect(result.status, result.text).toBe(200);
      expect(result.headers.get('content-type')).toMatch(/^application\/json\b/);
      expect(result.body.partial).toBe(true);
      expect(result.body.errors).toHaveLength(1);
      expect(result.body.errors[0]!.source).toBe('players');
      expect([503, 504]).toContain(result.body.errors[0]!.status);
      expect(result.body.tables.map((table) => table.id)).toEqual(['t1', 't2', 't3', 't4', 't5']);
      const t1 = result.body.tables[0]!;
      expect(t1.seats).toEqual([
        { playerId: 'p1', displayName: null },
        { playerId: 'p2', displayName: null },
      ]);
      for (const seat of result.body.tables.flatMap((table) => table.seats)) expect(seat.displayName).toBeNull();
      expect(result.elapsedMs).toBeLessThan(ANSWER_BOUND_MS);
    });

    it("logs the failed source under the request's id, and keeps the backend's address out of the answer", async () => {
      const requestId = `partial-${Date.now()}`;
      const result = await call<Lobby>(base, '/api/v1/lobby', { headers: { ...caller, 'x-request-id': requestId } });

      expect(result.body.partial, result.text).toBe(true);
      expect(result.text).not.toContain(stack!.playerAddress);
      expect(result.text).not.toMatch(/ECONNREFUSED|No connection established/);
      // Logged through Nest's Logger deep inside the aggregation: the request context carries the id there.
      const warning = await stack!.gateway.waitForLog(
        (line) => line.msg === 'optional source failed; answering partial' && line['requestId'] === requestId,
        `the players failure logged under ${requestId}`,
      );
      expect(warning['source']).toBe('players');
    });

    it('a table read is partial too, the table itself intact', async () => {
      const result = await call<TableDetail>(base, '/api/v1/tables/t3', { headers: caller });

      expect(result.status, result.text).toBe(200);
      expect(result.body.partial).toBe(true);
      expect(result.body.errors.map((error) => error.source)).toEqual(['players']);
      expect(result.body.table.seats.map((seat) => seat.playerId)).toEqual(['p4', 'p5']);
      expect(result.body.table.openSeats).toBe(0);
    });

    it('/api/v1/me is a 503 problem: the player is required', async () => {
      const result = await call(base, '/api/v1/me', { headers: caller });

      const problem = expectProblem(result, 503, 'upstream-unavailable');
      expect(problem.instance).toBe('/api/v1/me');
      expect(problem.detail).toContain('player');
      expect(result.text).not.toContain(stack!.playerAddress);
    });

    it('/health/ready is a 503 problem naming player-service', async () => {
      const result = await waitFor(
        async () => {
          const response = await call(base, '/health/ready');
          return response.status === 503 && response;
        },
        { timeoutMs: 5_000, description: '/health/ready to turn 503' },
      );

      const problem = expectProblem(result, 503, 'not-ready');
      expect(problem.detail).toContain('player-service');
      expect(problem.detail).not.toContain('table-service');
      const checks = (problem as unknown as { checks: Readiness['details'] }).checks;
      expect(checks['player-service']?.status).toBe('down');
      // Readiness is public: the reason names a status, never an internal address.
      expect(result.text).not.toContain(stack!.playerAddress);
      expect(checks['table-service']?.status).toBe('up');
    });
  });
});
