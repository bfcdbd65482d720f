import { Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { healthV1 } from '@portico/contracts';
import { Metrics } from '@portico/observability';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcPoolMetrics } from './grpc-pool-metrics.js';
import { GrpcServicePool } from './grpc-service-pool.js';
import type { MethodSelector } from './instance-channel.js';

type Client = healthV1.HealthClient;
type Behaviour = 'serve' | 'fail-unavailable' | 'not-found' | 'hang';

const { SERVING, NOT_SERVING } = healthV1.HealthCheckResponse_ServingStatus;

/**
 * A real gRPC server speaking grpc.health.v1: probes (service `probe`) answer `probeStatus`,
 * test calls (any other service) follow `behaviour`, and every test call is counted.
 */
class FakeInstance {
  readonly server = new Server();
  behaviour: Behaviour = 'serve';
  probeStatus = SERVING;
  calls = 0;
  address = '';

  async start(): Promise<this> {
    this.server.addService(healthV1.HealthService, {
      check: (call: ServerUnaryCall<healthV1.HealthCheckRequest, healthV1.HealthCheckResponse>, done: sendUnaryData<healthV1.HealthCheckResponse>) => {
        if (call.request.service === 'probe') return done(null, { status: this.probeStatus });
        this.calls++;
        if (this.behaviour === 'serve') return done(null, { status: SERVING });
        if (this.behaviour === 'hang') return;
        const code = this.behaviour === 'not-found' ? status.NOT_FOUND : status.UNAVAILABLE;
        done({ code, details: this.behaviour });
      },
      watch: (call: ServerUnaryCall<unknown, unknown> & { end(): void }) => call.end(),
    });
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    this.address = `127.0.0.1:${port}`;
    return this;
  }

  stop(): void {
    this.server.forceShutdown();
  }
}

const check: MethodSelector<Client, healthV1.HealthCheckRequest, healthV1.HealthCheckResponse> = (client) => client.check.bind(client);
const request = { service: 'call' };
const context = { deadlineMs: 2_000 };

describe('GrpcServicePool', () => {
  const servers: FakeInstance[] = [];
  const pools: GrpcServicePool<Client>[] = [];

  afterEach(() => {
    for (const pool of pools.splice(0)) pool.close();
    for (const server of servers.splice(0)) server.stop();
  });

  async function instances(count: number): Promise<FakeInstance[]> {
    const started = await Promise.all(Array.from({ length: count }, () => new FakeInstance().start()));
    servers.push(...started);
    return started;
  }

  function pool(members: FakeInstance[], overrides: { intervalMs?: number; failureThreshold?: number; metadata?: Record<string, string>[] } = {}) {
    const created = new GrpcServicePool(healthV1.HealthClient, {
      service: 'svc',
      healthService: 'probe',
      balancer: 'round-robin',
      healthCheck: { intervalMs: overrides.intervalMs ?? 60_000, timeoutMs: 1_000, healthyThreshold: 1, unhealthyThreshold: 1 },
      circuitBreaker: { failureThreshold: overrides.failureThreshold ?? 3, openMs: 60_000, halfOpenRequests: 1 },
      metrics: new GrpcPoolMetrics(new Metrics()),
    });
    created.update(members.map((member, index) => ({ address: member.address, metadata: overrides.metadata?.[index] ?? {} })));
    pools.push(created);
    return created;
  }

  it('spreads calls over every instance', async () => {
    const members = await instances(2);
    const subject = pool(members);
    for (let index = 0; index < 10; index++) await subject.call(check, request, context);
    expect(members.map((member) => member.calls)).toEqual([5, 5]);
  });

  it('retries an idempotent call that failed UNAVAILABLE on another instance', async () => {
    const [down, up] = await instances(2);
    down!.behaviour = 'fail-unavailable';
    const subject = pool([down!, up!], { failureThreshold: 100 });
    for (let index = 0; index < 6; index++) {
      await expect(subject.call(check, request, context, { idempotent: true })).resolves.toEqual({ status: SERVING });
    }
    expect(up!.calls).toBe(6);
    expect(down!.calls).toBeGreaterThan(0);
  });

  it('does not retry a call that is not idempotent', async () => {
    const [down, up] = await instances(2);
    down!.behaviour = 'fail-unavailable';
    const subject = pool([down!, up!], { failureThreshold: 100 });
    const outcomes = await Promise.allSettled([1, 2].map(() => subject.call(check, request, context)));
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(down!.calls + up!.calls).toBe(2);
  });

  it('does not retry a status the service chose, and it does not count against the instance', async () => {
    const [only] = await instances(1);
    only!.behaviour = 'not-found';
    const subject = pool([only!], { failureThreshold: 1 });
    await expect(subject.call(check, request, context, { idempotent: true })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(subject.call(check, request, context, { idempotent: true })).rejects.toMatchObject({ code: status.NOT_FOUND });
    expect(only!.calls).toBe(2);
    expect(subject.snapshot()[0]!.circuit).toBe('closed');
  });

  it('keeps one deadline across the retry: a hung first attempt leaves no time for a second', async () => {
    const [hung, up] = await instances(2);
    hung!.behaviour = 'hang';
    const subject = pool([hung!, up!]);
    const started = performance.now();
    await expect(subject.call(check, request, { deadlineMs: 300 }, { idempotent: true })).rejects.toMatchObject({
      code: status.DEADLINE_EXCEEDED,
    });
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(up!.calls).toBe(0);
  });

  it('opens an instance circuit after consecutive failures, so calls stop going there', async () => {
    const [down, up] = await instances(2);
    down!.behaviour = 'fail-unavailable';
    const subject = pool([down!, up!], { failureThreshold: 2 });
    for (let index = 0; index < 10; index++) await subject.call(check, request, context, { idempotent: true });
    expect(down!.calls).toBe(2);
    expect(subject.snapshot().find((instance) => instance.address === down!.address)).toMatchObject({ circuit: 'open', errorRate: 1 });
  });

  it('answers UNAVAILABLE, naming no address, when no instance is known', async () => {
    const subject = pool([]);
    const error = await subject.call(check, request, context).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: status.UNAVAILABLE, details: 'no available instance of svc' });
  });

  it('takes an instance out when its health check says NOT_SERVING, and serving() follows', async () => {
    const [draining, up] = await instances(2);
    draining!.probeStatus = NOT_SERVING;
    const subject = pool([draining!, up!], { intervalMs: 50 });
    await expect.poll(() => subject.snapshot().map((instance) => instance.health).sort()).toEqual(['healthy', 'unhealthy']);
    expect(subject.serving()).toBe(true);
    for (let index = 0; index < 4; index++) await subject.call(check, request, context);
    expect(draining!.calls).toBe(0);
    up!.probeStatus = NOT_SERVING;
    await expect.poll(() => subject.serving()).toBe(false);
  });

  it('prefers instances whose metadata match, and falls back when none of them is available', async () => {
    const [near, far] = await instances(2);
    const subject = pool([near!, far!], { metadata: [{ zone: 'a' }, { zone: 'b' }] });
    for (let index = 0; index < 4; index++) await subject.call(check, request, context, { prefer: { zone: 'a' } });
    expect([near!.calls, far!.calls]).toEqual([4, 0]);
    near!.behaviour = 'fail-unavailable';
    await subject.call(check, request, context, { prefer: { zone: 'a' }, idempotent: true });
    expect(far!.calls).toBe(1);
  });

  it('an instance that leaves gets no new calls; one that joins gets them at once', async () => {
    const [first, second] = await instances(2);
    const subject = pool([first!]);
    subject.update([{ address: second!.address }]);
    for (let index = 0; index < 3; index++) await subject.call(check, request, context);
    await expect.poll(() => subject.snapshot().map((instance) => instance.health)).toEqual(['healthy']);
    expect([first!.calls, second!.calls]).toEqual([0, 3]);
  });
});
