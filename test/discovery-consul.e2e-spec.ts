import { createProvider, ServiceDiscovery, type DiscoveryProvider, type DiscoverySettings, type Registrar, type ServiceInstance } from '@portico/discovery';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeConsul } from './support/fake-consul.js';
import { waitFor } from './support/wait-for.js';

// No Consul agent can run here: these tests run against FakeConsul, an HTTP server that speaks the
// wire protocol of the endpoints the provider uses, as recorded from Consul's API documentation.

const TOKEN = 'e2e-consul-acl-token';
const TTL_MS = 1_000;

function settings(url: string, token: string | null = TOKEN): DiscoverySettings {
  return {
    kind: 'consul',
    ttlMs: TTL_MS,
    prefix: 'portico',
    dns: { srvName: '_grpc._tcp.{service}', refreshMs: 2_000 },
    kubernetes: {},
    consul: { url, ...(token !== null && { token }) },
    static: {},
  };
}

function instance(service: string, name: string, port: number, weight = 1, metadata: Record<string, string> = {}): ServiceInstance {
  return { service, id: `${service}-${name}`, address: `127.0.0.1:${port}`, weight, metadata };
}

/** How the gateway names an instance of the fake agent's node. */
const seenAs = (registered: ServiceInstance) => `fake-agent/${registered.id}`;

describe('consul discovery (against a protocol-faithful fake agent, not a real Consul)', () => {
  let consul: FakeConsul;
  let registrant: DiscoveryProvider;
  let registrar: Registrar;
  let gateway: ServiceDiscovery;
  const closers: (() => Promise<void>)[] = [];

  const ids = (service: string) => gateway.view(service).instances.map((seen) => seen.id).sort();

  const waitForIds = (service: string, expected: string[], timeoutMs = 5_000) =>
    waitFor(() => JSON.stringify(ids(service)) === JSON.stringify([...expected].sort()), {
      timeoutMs,
      description: `${service} to list [${expected.join(', ')}] (has [${ids(service).join(', ')}])`,
    });

  /** A request to the agent the way an operator's tooling would send it. */
  const agent = (path: string, init: RequestInit = {}) =>
    fetch(`${consul.url}${path}`, { ...init, headers: { 'x-consul-token': TOKEN, ...init.headers } });

  beforeEach(async () => {
    // Consul's 1-minute minimum for DeregisterCriticalServiceAfter and 30 s reap interval,
    // shortened the way Consul's own agent tests shorten them.
    consul = await FakeConsul.start({ aclToken: TOKEN, deregisterIntervalMinMs: 0, reapIntervalMs: 200 });
    registrant = await createProvider(settings(consul.url));
    registrar = registrant.registrar!;
    gateway = new ServiceDiscovery(await createProvider(settings(consul.url)));
  });

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await gateway.close();
    await registrant.close();
    await consul.stop();
  });

  it('lists two instances registered through the registrar, with their weights and metadata', async () => {
    const a = instance('players', 'a', 50051, 3, { version: '2', zone: 'eu-1a' });
    const b = instance('players', 'b', 50052, 1, { version: '2', zone: 'eu-1b' });
    await registrar.announce(a, TTL_MS);
    await registrar.announce(b, TTL_MS);

    await waitForIds('players', [seenAs(a), seenAs(b)]);
    expect([...gateway.view('players').instances].sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      { id: seenAs(a), service: 'players', address: '127.0.0.1:50051', weight: 3, metadata: { version: '2', zone: 'eu-1a' } },
      { id: seenAs(b), service: 'players', address: '127.0.0.1:50052', weight: 1, metadata: { version: '2', zone: 'eu-1b' } },
    ]);
    expect(gateway.view('players').state).toBe('live');
  });

  it('hears a new instance from its blocking query at once, long before the 60 s wait ends', async () => {
    expect(await gateway.resolve('tables')).toEqual([]);
    await waitFor(() => consul.heldQueries('tables') === 1, { description: 'the watch to hold a blocking query' });
    const queriesBefore = consul.healthQueries('tables');

    const startedAt = Date.now();
    const joined = instance('tables', 'a', 50061);
    await registrar.announce(joined, TTL_MS);
    await waitForIds('tables', [seenAs(joined)]);

    expect(Date.now() - startedAt).toBeLessThan(2_000);
    // The held query woke on the registration, the next one on the passing check: no polling.
    expect(consul.healthQueries('tables') - queriesBefore).toBeLessThanOrEqual(2);
    await waitFor(() => consul.heldQueries('tables') === 1, { description: 'the watch to block again' });
  });

  it('keeps an instance while heartbeats come, and drops it after its TTL once they stop', async () => {
    const beating = instance('lobby', 'a', 50071);
    const lists: number[] = [];
    gateway.watch('lobby', (instances) => lists.push(instances.length));
    await registrar.announce(beating, TTL_MS);
    await waitForIds('lobby', [seenAs(beating)]);

    for (let beat = 0; beat < 8; beat += 1) {
      await new Promise((resolve) => setTimeout(resolve, TTL_MS / 3));
      await registrar.announce(beating, TTL_MS);
    }
    expect(ids('lobby')).toEqual([seenAs(beating)]);
    expect(lists.slice(lists.indexOf(1))).not.toContain(0);

    const lastBeatAt = Date.now();
    await waitForIds('lobby', []);
    expect(Date.now() - lastBeatAt).toBeGreaterThanOrEqual(TTL_MS - 50);
  });

  it('drops a withdrawn instance at once and keeps the others; withdrawing it again is harmless', async () => {
    const staying = instance('chat', 'a', 50081);
    const leaving = instance('chat', 'b', 50082);
    await registrar.announce(staying, TTL_MS);
    await registrar.announce(leaving, TTL_MS);
    await waitForIds('chat', [seenAs(staying), seenAs(leaving)]);

    const startedAt = Date.now();
    await registrar.withdraw(leaving);
    await waitForIds('chat', [seenAs(staying)]);
    expect(Date.now() - startedAt).toBeLessThan(TTL_MS);
    await expect(registrar.withdraw(leaving)).resolves.toBeUndefined();
  });

  it('excludes an instance whose check is failing, and takes it back on its next heartbeat', async () => {
    const healthy = instance('wallet', 'a', 50091);
    const failing = instance('wallet', 'b', 50092);
    await registrar.announce(healthy, TTL_MS);
    await registrar.announce(failing, TTL_MS);
    await waitForIds('wallet', [seenAs(healthy), seenAs(failing)]);

    const failed = await agent(`/v1/agent/check/fail/service:${failing.id}?note=disk%20full`, { method: 'PUT' });
    expect(failed.status).toBe(200);
    await waitForIds('wallet', [seenAs(healthy)]);

    await registrar.announce(failing, TTL_MS);
    await waitForIds('wallet', [seenAs(healthy), seenAs(failing)]);
  });

  it('keeps the last list while the agent is down, and recovers on the same port with the next announce registering again', async () => {
    const survivor = instance('bets', 'a', 50101);
    await registrar.announce(survivor, TTL_MS);
    await waitForIds('bets', [seenAs(survivor)]);

    await consul.stop();
    await waitFor(() => gateway.view('bets').state === 'unreachable', { description: 'the watch to report the agent unreachable' });
    expect(ids('bets')).toEqual([seenAs(survivor)]);
    await expect(registrar.announce(survivor, TTL_MS)).rejects.toThrow();

    await consul.restart();
    const registrationsBefore = consul.registrations;
    // The restarted agent knows nothing: the watch reads its empty list as soon as it is back.
    await waitFor(() => gateway.view('bets').state === 'live', { timeoutMs: 10_000, description: 'the watch to reach the agent again' });
    await registrar.announce(survivor, TTL_MS);
    expect(consul.registrations).toBe(registrationsBefore + 1);
    await waitForIds('bets', [seenAs(survivor)]);
  });

  it('ignores a malformed entry (no port) and keeps listing the valid ones', async () => {
    const registered = await agent('/v1/agent/service/register', {
      method: 'PUT',
      body: JSON.stringify({ ID: 'portless', Name: 'cards', Address: '127.0.0.9', Check: { TTL: '30s', Status: 'passing' } }),
    });
    expect(registered.status).toBe(200);
    const valid = instance('cards', 'a', 50111);
    await registrar.announce(valid, TTL_MS);

    await waitForIds('cards', [seenAs(valid)]);
    const served = (await (await agent('/v1/health/service/cards?passing')).json()) as { Service: { ID: string } }[];
    expect(served.map((entry) => entry.Service.ID).sort()).toEqual(['cards-a', 'portless']);
    expect(gateway.view('cards').state).toBe('live');
  });

  it('registers again after the agent reaped an instance whose check stayed critical past DeregisterCriticalServiceAfter', async () => {
    const napping = instance('reports', 'a', 50121);
    await registrar.announce(napping, TTL_MS);
    await waitForIds('reports', [seenAs(napping)]);
    const registrationsBefore = consul.registrations;

    // Critical after one TTL, reaped six TTLs later.
    await waitFor(
      async () => ((await (await agent('/v1/health/service/reports')).json()) as unknown[]).length === 0,
      { timeoutMs: 12_000, intervalMs: 200, description: 'the agent to reap the critical instance' },
    );
    await registrar.announce(napping, TTL_MS);
    expect(consul.registrations).toBe(registrationsBefore + 1);
    await waitForIds('reports', [seenAs(napping)]);
  });

  it('sends CONSUL_TOKEN as X-Consul-Token: without it writes are denied, with a wrong one the registry is unreachable', async () => {
    const anonymous = await createProvider(settings(consul.url, null));
    closers.push(() => anonymous.close());
    await expect(anonymous.registrar!.announce(instance('audit', 'a', 50131), TTL_MS)).rejects.toThrow(/403: Permission denied/);

    const wrongToken = 'not-the-agent-token';
    const mistaken = new ServiceDiscovery(await createProvider(settings(consul.url, wrongToken)));
    closers.push(() => mistaken.close());
    mistaken.view('audit');
    await waitFor(() => mistaken.view('audit').state === 'unreachable', { description: 'a wrong token to be refused' });
    expect(mistaken.view('audit').error).toContain('403: ACL not found');
    expect(mistaken.view('audit').error).not.toContain(wrongToken);
  });

  it('rate-limits a watch whose result churns, then settles on the final list', async () => {
    const flapping = instance('odds', 'a', 50141);
    await registrar.announce(flapping, TTL_MS);
    await waitForIds('odds', [seenAs(flapping)]);
    const queriesBefore = consul.healthQueries('odds');

    // 40 status changes in one second; without the limit each one would wake a query.
    for (let flip = 0; flip < 40; flip += 1) {
      await agent(`/v1/agent/check/${flip % 2 === 0 ? 'fail' : 'pass'}/service:${flapping.id}`, { method: 'PUT' });
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await agent(`/v1/agent/check/fail/service:${flapping.id}`, { method: 'PUT' });
    await waitForIds('odds', []);

    // A burst of two, then one a second: a handful of queries, not forty.
    expect(consul.healthQueries('odds') - queriesBefore).toBeLessThanOrEqual(6);
  });
});
