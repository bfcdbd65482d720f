import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Readiness } from './support/api-types.js';
import { call, expectProblem } from './support/http.js';
import { startDedicatedRedis, startRedis, type TestRedis } from './support/redis.js';
import { startGateway, startStack, stopAll, type Stack, type StartedGateway } from './support/stack.js';
import { waitFor } from './support/wait-for.js';

describe('health probes', () => {
  let redis: TestRedis | undefined;
  let stack: Stack | undefined;
  let base: string;

  beforeAll(async () => {
    redis = await startRedis();
    stack = await startStack({ gatewayEnv: { REDIS_URL: redis.url } });
    base = stack.baseUrl;
  });

  afterAll(async () => {
    await stack?.stop();
    await redis?.stop();
  });

  it('/health/live answers 200 {status:"ok"} without a token', async () => {
    const result = await call(base, '/health/live');

    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toMatch(/^application\/json\b/);
    expect(result.body).toEqual({ status: 'ok' });
  });

  it('/health/ready answers 200 without a token, listing player-service, table-service and redis up', async () => {
    const result = await call<Readiness>(base, '/health/ready');

    expect(result.status, result.text).toBe(200);
    expect(result.body.status).toBe('ok');
    expect(result.body.details).toEqual({
      'player-service': { status: 'up', instances: 1, serving: 1, registry: 'live' },
      'table-service': { status: 'up', instances: 1, serving: 1, registry: 'live' },
      redis: { status: 'up' },
    });
    expect(result.body.error).toEqual({});
  });

  it('a gateway without REDIS_URL does not list redis at all', async () => {
    const gateway = await startGateway({ playerAddress: stack!.playerAddress, tableAddress: stack!.tableAddress });
    try {
      const result = await call<Readiness>(gateway.baseUrl, '/health/ready');

      expect(result.status, result.text).toBe(200);
      expect(Object.keys(result.body.details).sort()).toEqual(['player-service', 'table-service']);
    } finally {
      await stopAll([gateway.process]);
    }
  });

  describe('when its Redis goes away', () => {
    let dedicated: Awaited<ReturnType<typeof startDedicatedRedis>> | undefined;
    let failOpen: StartedGateway | undefined;
    let failClosed: StartedGateway | undefined;

    beforeAll(async () => {
      dedicated = await startDedicatedRedis();
      const backends = { playerAddress: stack!.playerAddress, tableAddress: stack!.tableAddress };
      [failOpen, failClosed] = await Promise.all([
        startGateway({ ...backends, env: { REDIS_URL: dedicated.url } }),
        startGateway({ ...backends, env: { REDIS_URL: dedicated.url, RATE_LIMIT_FAILURE_MODE: 'fail-closed' } }),
      ]);
    });

    afterAll(async () => {
      await stopAll([failOpen?.process, failClosed?.process]);
      await dedicated?.stop();
    });

    it('fail-open stays ready and reports redis down; fail-closed turns 503 naming redis; liveness holds', async () => {
      for (const gateway of [failOpen!, failClosed!]) {
        const before = await call<Readiness>(gateway.baseUrl, '/health/ready');
        expect(before.status, before.text).toBe(200);
        expect(before.body.details['redis']).toEqual({ status: 'up' });
      }

      await dedicated!.stop();

      const degraded = await waitFor(
        async () => {
          const response = await call<Readiness>(failOpen!.baseUrl, '/health/ready');
          return response.body.details?.['redis']?.status === 'down' && response;
        },
        { timeoutMs: 10_000, intervalMs: 100, description: 'the fail-open gateway to report redis down' },
      );
      expect(degraded.status, degraded.text).toBe(200);
      expect(degraded.body.status).toBe('ok');
      expect(degraded.body.error['redis']?.status).toBe('down');
      expect(degraded.body.details['player-service']?.status).toBe('up');

      const result = await waitFor(
        async () => {
          const response = await call(failClosed!.baseUrl, '/health/ready');
          return response.status === 503 && response;
        },
        { timeoutMs: 10_000, intervalMs: 100, description: 'the fail-closed gateway to turn 503 after Redis stopped' },
      );
      const problem = expectProblem(result, 503, 'not-ready');
      expect(problem.detail).toContain('redis');
      expect(problem.detail).not.toContain('service');
      const checks = (problem as unknown as { checks: Readiness['details'] }).checks;
      expect(checks['redis']?.status).toBe('down');
      expect(checks['player-service']?.status).toBe('up');
      expect(checks['table-service']?.status).toBe('up');

      for (const gateway of [failOpen!, failClosed!]) expect((await call(gateway.baseUrl, '/health/live')).status).toBe(200);
    });
  });
});
