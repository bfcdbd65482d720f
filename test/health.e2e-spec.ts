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
    let gateway: StartedGateway | undefined;

    beforeAll(async () => {
      dedicated = await startDedicatedRedis();
      gateway = await startGateway({
        playerAddress: stack!.playerAddress,
        tableAddress: stack!.tableAddress,
        env: { REDIS_URL: dedicated.url },
      });
    });

    afterAll(async () => {
      await stopAll([gateway?.process]);
      await dedicated?.stop();
    });

    it('readiness turns 503 naming redis, while the backends stay up and liveness holds', async () => {
      const before = await call<Readiness>(gateway!.baseUrl, '/health/ready');
      expect(before.status, before.text).toBe(200);
      expect(before.body.details['redis']).toEqual({ status: 'up' });

      await dedicated!.stop();

      const result = await waitFor(
        async () => {
          const response = await call(gateway!.baseUrl, '/health/ready');
          return response.status === 503 && response;
        },
        { timeoutMs: 10_000, intervalMs: 100, description: '/health/ready to turn 503 after Redis stopped' },
      );
      const problem = expectProblem(result, 503, 'not-ready');
      expect(problem.detail).toContain('redis');
      expect(problem.detail).not.toContain('service');
      const checks = (problem as unknown as { checks: Readiness['details'] }).checks;
      expect(checks['redis']?.status).toBe('down');
      expect(checks['player-service']?.status).toBe('up');
      expect(checks['table-service']?.status).toBe('up');

      const live = await call(gateway!.baseUrl, '/health/live');
      expect(live.status).toBe(200);
    });
  });
});
