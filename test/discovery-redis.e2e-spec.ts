import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectProblem } from './support/http.js';
import { steadyLoad } from './support/load.js';
import { startDedicatedRedis } from './support/redis.js';
import {
  firstCallAt,
  registeredAt,
  startInstance,
  startInstances,
  type ServiceInstanceProcess,
  type ServiceName,
} from './support/service-instances.js';
import { startGateway, stopAll, type StartedGateway } from './support/stack.js';
import { bearer, token } from './support/token.js';
import { waitFor } from './support/wait-for.js';

interface ServiceList {
  provider: string;
  services: {
    name: string;
    registry: { state: string };
    instances: { address: string; health: string; inFlight: number; errorRate: number; metadata: Record<string, string> }[];
  }[];
}

const TTL_MS = 3_000;
const RATE = 200;

/**
 * Services register themselves in a real Redis, a real gateway discovers them, and instances are
 * killed, stopped and added under steady load on /api/v1/lobby, counting what the users saw fail.
 */
describe('service discovery through Redis', () => {
  const admin = bearer(token('ops', { claims: { roles: ['admin'] } }));
  const caller = bearer(token('p1'));
  let redis: Awaited<ReturnType<typeof startDedicatedRedis>>;
  let serviceEnv: Record<string, string>;
  const instances: ServiceInstanceProcess[] = [];
  let gateway: StartedGateway;

  const start = async (name: ServiceName, env: Record<string, string> = {}) => {
    const instance = await startInstance(name, { ...serviceEnv, ...env });
    instances.push(instance);
    return instance;
  };
  const services = async () => (await call<ServiceList>(gateway.baseUrl, '/admin/services', { headers: admin })).body;
  const addressesOf = async (name: ServiceName) =>
    (await services()).services.find((service) => service.name === name)?.instances.map((instance) => instance.address).sort() ?? [];
  const live = (name: ServiceName) =>
    instances.filter((instance) => instance.app.name === name && instance.app.running).map((instance) => instance.address).sort();
  const waitUntilListed = (name: ServiceName, timeoutMs: number) =>
    waitFor(async () => JSON.stringify(await addressesOf(name)) === JSON.stringify(live(name)), {
      timeoutMs,
      description: `the gateway to list exactly the live ${name} instances`,
    });

  beforeAll(async () => {
    redis = await startDedicatedRedis();
    serviceEnv = {
      DISCOVERY: 'redis',
      REDIS_URL: redis.url,
      DISCOVERY_TTL_MS: String(TTL_MS),
      SHUTDOWN_DRAIN_DELAY_MS: '300',
    };
    const initial = await startInstances([
      () => startInstance('player-service', { ...serviceEnv, ZONE: 'a' }),
      () => startInstance('player-service', serviceEnv),
      () => startInstance('table-service', serviceEnv),
      () => startInstance('table-service', serviceEnv),
    ]);
    instances.push(...initial);
    gateway = await startGateway({ playerAddress: 'unused:1', tableAddress: 'unused:1', env: serviceEnv });
  }, 60_000);

  afterAll(async () => {
    await stopAll([gateway?.process, ...instances.map((instance) => instance.app)]);
    await redis?.stop();
  });

  it('lists every registered instance with its health and metadata', async () => {
    await waitFor(
      async () => (await services()).services.every((service) => service.instances.every((instance) => instance.health === 'healthy')),
      { timeoutMs: 5_000, description: 'every instance probed healthy' },
    );
    const list = await services();
    expect(list.provider).toBe('redis');
    expect(list.services.map((service) => [service.name, service.registry.state, service.instances.length])).toEqual([
      ['player-service', 'live', 2],
      ['table-service', 'live', 2],
    ]);
    expect(await addressesOf('player-service')).toEqual(live('player-service'));
    const zoned = list.services[0]!.instances.filter((instance) => instance.metadata['zone'] === 'a');
    expect(zoned).toHaveLength(1);
    expect(zoned[0]!.metadata['version']).toBe('1');
  });

  it('/admin/services is for admins only: 401 without a token, 403 for a player, both problem+json', async () => {
    expectProblem(await call(gateway.baseUrl, '/admin/services'), 401);
    expectProblem(await call(gateway.baseUrl, '/admin/services', { headers: caller }), 403);
  });

  it('spreads the lobby over both instances of each service', async () => {
    const load = steadyLoad(`${gateway.baseUrl}/api/v1/lobby`, caller, RATE);
    await waitFor(() => load.answered >= 200, { timeoutMs: 10_000, description: '200 lobby answers' });
    const report = await load.stop();
    expect(report.failures).toEqual([]);
    await waitFor(() => instances.every((instance) => firstCallAt(instance) !== undefined), {
      timeoutMs: 5_000,
      description: 'every instance to log a call',
    });
  });

  it('a new instance takes traffic within 2 s of registering', async () => {
    const load = steadyLoad(`${gateway.baseUrl}/api/v1/lobby`, caller, RATE);
    try {
      const added = await start('table-service');
      const first = await waitFor(() => firstCallAt(added), { timeoutMs: 5_000, description: 'the new instance to be called' });
      console.info(`new instance: first call ${first - registeredAt(added)} ms after it registered`);
      expect(first - registeredAt(added)).toBeLessThan(2_000);
    } finally {
      expect((await load.stop()).failures).toEqual([]);
    }
  });

  it('x-portico-prefer: version=2 sends a canary tester to the version 2 instances only', async () => {
    const canary = await start('player-service', { SERVICE_VERSION: '2' });
    await waitUntilListed('player-service', 5_000);
    await waitFor(
      async () =>
        (await services()).services[0]!.instances.find((instance) => instance.address === canary.address)?.health === 'healthy',
      { timeoutMs: 5_000, description: 'the canary probed healthy' },
    );
    const ids = Array.from({ length: 10 }, (_, index) => `canary-${index}-${Date.now()}`);
    for (const id of ids) {
      const lobby = await call<{ partial: boolean }>(gateway.baseUrl, '/api/v1/lobby', {
        headers: { ...caller, 'x-portico-prefer': 'version=2', 'x-request-id': id },
      });
      expect(lobby.body.partial, lobby.text).toBe(false);
    }
    const handledBy = (instance: ServiceInstanceProcess) =>
      instance.app.logs.filter((line) => line.msg === 'rpc handled' && ids.includes(line['requestId'] as string)).length;
    // The services' log lines arrive through a pipe, after the answers: wait for them, bounded.
    await waitFor(() => handledBy(canary) === ids.length, { timeoutMs: 5_000, description: 'the canary to log every call' });
    const others = instances.filter((instance) => instance.app.name === 'player-service' && instance !== canary);
    expect(others.map(handledBy)).toEqual(others.map(() => 0));
    const untagged = `plain-${Date.now()}`;
    await call(gateway.baseUrl, '/api/v1/lobby', { headers: { ...caller, 'x-request-id': untagged } });
    await waitFor(() => instances.some((instance) => instance.app.logs.some((line) => line['requestId'] === untagged)), {
      timeoutMs: 5_000,
      description: 'some instance to log the request without a preference',
    });
  });

  it('SIGTERM of an instance under load fails no request, and it leaves the list before its TTL', async () => {
    const load = steadyLoad(`${gateway.baseUrl}/api/v1/lobby`, caller, RATE);
    await waitFor(() => load.answered >= 100, { timeoutMs: 10_000, description: 'load under way' });
    const victim = instances.find((instance) => instance.app.name === 'player-service' && instance.app.running)!;
    const stoppedAt = Date.now();
    const exited = victim.app.stop(10_000);
    await waitUntilListed('player-service', TTL_MS - 500);
    expect(Date.now() - stoppedAt).toBeLessThan(TTL_MS);
    expect(await exited).toBe(0);
    const before = load.answered;
    await waitFor(() => load.answered >= before + 200, { timeoutMs: 10_000, description: 'load after the stop' });
    const report = await load.stop();
    console.info(`SIGTERM under ${RATE} rps: ${report.ok} ok, ${report.failures.length} failed`);
    expect(report.failures).toEqual([]);
    expect(report.ok).toBeGreaterThan(300);
  });

  it('SIGKILL of an instance under load fails no request (reads retry on another instance), and it leaves within its TTL', async () => {
    await start('player-service');
    await waitUntilListed('player-service', 5_000);
    const load = steadyLoad(`${gateway.baseUrl}/api/v1/lobby`, caller, RATE);
    await waitFor(() => load.answered >= 100, { timeoutMs: 10_000, description: 'load under way' });
    const victims = ['player-service', 'table-service'].map(
      (name) => instances.find((instance) => instance.app.name === name && instance.app.running)!,
    );
    const killedAt = Date.now();
    for (const victim of victims) victim.app.signal('SIGKILL');
    await Promise.all(victims.map((victim) => victim.app.exited));
    await waitUntilListed('player-service', TTL_MS + 1_500);
    await waitUntilListed('table-service', 2_000);
    expect(Date.now() - killedAt).toBeLessThan(TTL_MS + 1_500);
    const before = load.answered;
    await waitFor(() => load.answered >= before + 200, { timeoutMs: 10_000, description: 'load after the kill' });
    const report = await load.stop();
    console.info(`SIGKILL under ${RATE} rps: ${report.ok} ok, ${report.failures.length} failed`);
    expect(report.failures).toEqual([]);
  });

  it('a malformed registry entry is logged and ignored; the valid instances keep serving', async () => {
    const client = new Redis(redis.url);
    try {
      const tag = '{portico:discovery:table-service}';
      await client.hset(`${tag}:instances`, 'broken', '{"address":"no-port"}', 'garbage', 'not json');
      await client.zadd(`${tag}:expiry`, Date.now() + 60_000, 'broken', Date.now() + 60_000, 'garbage');
      await client.publish(`${tag}:changes`, 'announce');
    } finally {
      client.disconnect();
    }
    await gateway.process.waitForLog(
      (line) => line.msg === 'ignoring a malformed registry entry' && line['entry'] === 'broken',
      'the malformed entry',
      5_000,
    );
    expect(await addressesOf('table-service')).toEqual(live('table-service'));
    const lobby = await call(gateway.baseUrl, '/api/v1/lobby', { headers: caller });
    expect(lobby.status).toBe(200);
    expect(gateway.process.running).toBe(true);
  });

  it('Redis going away keeps the last known instances serving, says so in readiness, and recovers', async () => {
    const known = live('player-service');
    await redis.stop();
    await gateway.process.waitForLog((line) => line.msg === 'registry unreachable; keeping the last known instances', 'registry down', 10_000);
    const lobby = await call<{ tables: unknown[]; errors: { source: string }[] }>(gateway.baseUrl, '/api/v1/lobby', { headers: caller });
    expect(lobby.status).toBe(200);
    expect(lobby.body.tables.length).toBeGreaterThan(0);
    // Both services answered from the last known instances; only presence, kept in Redis itself, is missing.
    expect(lobby.body.errors.map((error) => error.source)).toEqual(['presence']);
    const ready = await call<{ details?: Record<string, { registry?: string }>; checks?: Record<string, { registry?: string }> }>(
      gateway.baseUrl,
      '/health/ready',
    );
    const checks = ready.body.details ?? ready.body.checks ?? {};
    expect(checks['player-service']?.registry).toBe('unreachable: using the last known instances');
    expect(await addressesOf('player-service')).toEqual(known);

    const restarted = await startDedicatedRedis({ port: redis.port });
    redis = restarted;
    // The services re-create their entries on their next heartbeat; the gateway relists on reconnect.
    await waitFor(
      async () => (await services()).services.every((service) => service.registry.state === 'live'),
      { timeoutMs: TTL_MS + 5_000, description: 'the registry to be live again' },
    );
    await waitUntilListed('player-service', TTL_MS + 5_000);
    await waitUntilListed('table-service', TTL_MS + 5_000);
  });
});
