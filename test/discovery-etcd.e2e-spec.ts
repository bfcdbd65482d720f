import {
  createProvider,
  discoveryFields,
  discoverySettings,
  SelfRegistration,
  ServiceDiscovery,
  type DiscoveryProvider,
  type Registrar,
  type ServiceInstance,
} from '@portico/discovery';
import { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startEtcd, type TestEtcd } from './support/etcd.js';
import { call } from './support/http.js';
import { startInstance, startInstances, type ServiceInstanceProcess, type ServiceName } from './support/service-instances.js';
import { startGateway, stopAll, type StartedGateway } from './support/stack.js';
import { bearer, token } from './support/token.js';
import { waitFor } from './support/wait-for.js';

const PREFIX = 'e2e';
const SHORT_TTL_MS = 2_000;

function instance(service: string, id: string, port: number, metadata: Record<string, string> = {}): ServiceInstance {
  return { service, id, address: `10.0.0.${port % 250}:${port}`, weight: 1, metadata };
}

/** How many watch streams etcd itself holds open, from its metrics. */
async function watchStreams(etcd: TestEtcd): Promise<number> {
  const metrics = await (await fetch(`${etcd.url}/metrics`)).text();
  return Number(/^etcd_debugging_mvcc_watch_stream_total (\d+)$/m.exec(metrics)?.[1] ?? Number.NaN);
}

function addresses(discovery: ServiceDiscovery, service: string): string[] {
  return discovery
    .view(service)
    .instances.map((found) => found.address)
    .sort();
}

describe('etcd discovery: leases, watch and recovery against a real etcd', () => {
  let etcd: TestEtcd;
  /** Plays the operator: writes and deletes keys and leases behind the provider's back. */
  let operator: Etcd3;
  const toClose: Array<{ close(): Promise<void> }> = [];
  let services = 0;

  // Registrations stop first (they withdraw through their provider), then providers and discoveries close.
  /** A service name no other test uses, so tests do not see each other's instances. */
  const freshService = () => `svc-${++services}`;

  const provider = (): Promise<DiscoveryProvider> => {
    const env = z.object(discoveryFields).parse({ DISCOVERY: 'etcd', ETCD_URL: etcd.url, DISCOVERY_PREFIX: PREFIX });
    return createProvider(discoverySettings(env));
  };

  /** What the gateway runs: ServiceDiscovery over its own etcd provider. */
  const gateway = async (): Promise<ServiceDiscovery> => {
    const discovery = new ServiceDiscovery(await provider());
    toClose.push(discovery);
    return discovery;
  };

  /** What a service process runs: an etcd provider of its own, used to register. */
  const registrar = async (): Promise<Registrar> => {
    const created = await provider();
    toClose.push(created);
    if (!created.registrar) throw new Error('the etcd provider has no registrar');
    return created.registrar;
  };

  const register = async (target: ServiceInstance, ttlMs: number): Promise<SelfRegistration> => {
    const registration = new SelfRegistration(await registrar(), target, { ttlMs });
    toClose.unshift({ close: () => registration.stop() });
    await registration.start();
    return registration;
  };

  beforeAll(async () => {
    etcd = await startEtcd();
    operator = new Etcd3({ hosts: etcd.url });
  });

  afterEach(async () => {
    for (const closing of toClose.splice(0)) await closing.close();
  });

  afterAll(async () => {
    operator.close();
    await etcd.dispose();
  });

  it('lists two registered instances, then drops a withdrawn one at once rather than at its TTL', async () => {
    const service = freshService();
    const discovery = await gateway();
    const first = await register(instance(service, 'a', 5001, { zone: 'eu-1' }), 10_000);
    await register(instance(service, 'b', 5002), 10_000);

    await waitFor(() => addresses(discovery, service).length === 2, { timeoutMs: 5_000, description: 'both instances' });
    expect(addresses(discovery, service)).toEqual(['10.0.0.1:5001', '10.0.0.2:5002']);
    expect(discovery.view(service).instances.find((found) => found.id === 'a')?.metadata).toEqual({ zone: 'eu-1' });
    const key = `/${PREFIX}/discovery/${service}/a`;
    expect(JSON.parse(await operator.get(key).string() ?? 'null')).toEqual({ address: '10.0.0.1:5001', weight: 1, metadata: { zone: 'eu-1' } });

    const withdrawnAt = Date.now();
    await first.stop();
    await waitFor(() => addresses(discovery, service).length === 1, { timeoutMs: 5_000, description: 'a withdrawn' });
    // The TTL is 10 s: only the revoked lease explains a prompt removal.
    expect(Date.now() - withdrawnAt).toBeLessThan(2_000);
    expect(addresses(discovery, service)).toEqual(['10.0.0.2:5002']);
    expect(await operator.get(key).string()).toBeNull();
  });

  it('drops an instance whose heartbeats stop after its TTL, while heartbeats keep the other one', async () => {
    const service = freshService();
    const discovery = await gateway();
    const seen: string[][] = [];
    discovery.watch(service, (instances) => seen.push(instances.map((found) => found.id).sort()));

    const announcedAt = Date.now();
    // Announced once and never again, like a process that froze or lost its network.
    await (await registrar()).announce(instance(service, 'silent', 5003), SHORT_TTL_MS);
    await register(instance(service, 'beating', 5004), SHORT_TTL_MS);
    await waitFor(() => addresses(discovery, service).length === 2, { timeoutMs: 5_000, description: 'both instances' });

    await waitFor(() => discovery.view(service).instances.every((found) => found.id !== 'silent'), {
      timeoutMs: 4 * SHORT_TTL_MS,
      description: 'the silent instance to expire',
    });
    expect(Date.now() - announcedAt).toBeGreaterThanOrEqual(SHORT_TTL_MS - 500);
    // Two TTLs after registering, the instance with heartbeats has never left a list.
    await waitFor(() => Date.now() - announcedAt > 2 * SHORT_TTL_MS + 500, { timeoutMs: 3 * SHORT_TTL_MS, description: 'two TTLs' });
    expect(addresses(discovery, service)).toEqual(['10.0.0.4:5004']);
    const listsSinceBeating = seen.slice(seen.findIndex((ids) => ids.includes('beating')));
    expect(listsSinceBeating.every((ids) => ids.includes('beating'))).toBe(true);
  });

  it('ignores malformed values under the prefix, from the first list and from watch events, and lists the valid ones', async () => {
    const service = freshService();
    const keys = `/${PREFIX}/discovery/${service}`;
    await operator.put(`${keys}/not-json`).value('10.0.0.9:9000');
    await operator.put(`${keys}/bad-address`).value(JSON.stringify({ address: 'nowhere' }));
    // Under another service (`<service>/nested`), so not an instance of this one.
    await operator.put(`${keys}/nested/x`).value(JSON.stringify({ address: '10.0.0.8:8000' }));
    await (await registrar()).announce(instance(service, 'valid', 5005), 10_000);

    const discovery = await gateway();
    expect((await discovery.resolve(service)).map((found) => found.id)).toEqual(['valid']);
    expect(discovery.view(service).state).toBe('live');

    await operator.put(`${keys}/bad-weight`).value(JSON.stringify({ address: '10.0.0.7:7000', weight: -1 }));
    await operator.put(`${keys}/added`).value(JSON.stringify({ address: '10.0.0.6:6000' }));
    await waitFor(() => addresses(discovery, service).includes('10.0.0.6:6000'), { timeoutMs: 5_000, description: 'the added instance' });
    expect(addresses(discovery, service)).toEqual(['10.0.0.5:5005', '10.0.0.6:6000']);
  });

  it('closes its watch streams on etcd when the discovery closes', async () => {
    const discovery = new ServiceDiscovery(await provider());
    await Promise.all([discovery.resolve(freshService()), discovery.resolve(freshService())]);
    await waitFor(async () => (await watchStreams(etcd)) === 2, { timeoutMs: 5_000, description: 'two watch streams on etcd' });
    await discovery.close();
    await waitFor(async () => (await watchStreams(etcd)) === 0, { timeoutMs: 5_000, description: 'no watch stream left on etcd' });
  });

  it('re-creates the entry on the next announce when etcd lost the key or the lease', async () => {
    const service = freshService();
    const discovery = await gateway();
    const announcing = await registrar();
    const target = instance(service, 'phoenix', 5006);
    const key = `/${PREFIX}/discovery/${service}/phoenix`;
    await announcing.announce(target, 10_000);
    await waitFor(() => addresses(discovery, service).length === 1, { timeoutMs: 5_000, description: 'the instance' });
    const [first] = (await operator.get(key).exec()).kvs;
    await announcing.announce(target, 10_000);
    const [renewedOnce] = (await operator.get(key).exec()).kvs;
    // A heartbeat renews the lease and leaves the key as it was: no new lease, no write for watchers to hear.
    expect(renewedOnce!.lease).toBe(first!.lease);
    expect(renewedOnce!.mod_revision).toBe(first!.mod_revision);

    await operator.delete().key(key);
    await waitFor(() => addresses(discovery, service).length === 0, { timeoutMs: 5_000, description: 'the key deleted' });
    await announcing.announce(target, 10_000);
    await waitFor(() => addresses(discovery, service).length === 1, { timeoutMs: 5_000, description: 'the key put back' });

    const [held] = (await operator.get(key).exec()).kvs;
    await operator.leaseClient.leaseRevoke({ ID: held!.lease });
    await waitFor(() => addresses(discovery, service).length === 0, { timeoutMs: 5_000, description: 'the lease revoked' });
    await announcing.announce(target, 10_000);
    await waitFor(() => addresses(discovery, service).length === 1, { timeoutMs: 5_000, description: 'the instance on a new lease' });
    const [renewed] = (await operator.get(key).exec()).kvs;
    expect(renewed!.lease).not.toBe(held!.lease);
  });

  it('keeps the last list while etcd is down, and follows changes again once it restarts', async () => {
    const service = freshService();
    const discovery = await gateway();
    await register(instance(service, 'survivor', 5007), SHORT_TTL_MS);
    await waitFor(() => discovery.view(service).instances.length === 1, { timeoutMs: 5_000, description: 'the instance' });

    await etcd.stop();
    await waitFor(() => discovery.view(service).state === 'unreachable', { timeoutMs: 10_000, description: 'unreachable' });
    expect(addresses(discovery, service)).toEqual(['10.0.0.7:5007']);
    expect(discovery.view(service).error).toEqual(expect.any(String));

    await etcd.restart();
    await waitFor(() => discovery.view(service).state === 'live', { timeoutMs: 15_000, description: 'live again' });
    // Heartbeats either kept the lease etcd restored or re-created it once etcd answered.
    await waitFor(() => addresses(discovery, service).includes('10.0.0.7:5007'), { timeoutMs: 15_000, description: 'the survivor' });

    const announcing = await registrar();
    const late = instance(service, 'late', 5008);
    await announcing.announce(late, 10_000);
    await waitFor(() => addresses(discovery, service).includes('10.0.0.8:5008'), { timeoutMs: 5_000, description: 'the late instance' });
    await announcing.withdraw(late);
    await waitFor(() => !addresses(discovery, service).includes('10.0.0.8:5008'), { timeoutMs: 5_000, description: 'the late instance gone' });
  });

  it('registers the instance again when etcd restarts without its data, and its lease is unknown', async () => {
    const service = freshService();
    const discovery = await gateway();
    await register(instance(service, 'reborn', 5009), SHORT_TTL_MS);
    await waitFor(() => addresses(discovery, service).length === 1, { timeoutMs: 5_000, description: 'the instance' });
    const key = `/${PREFIX}/discovery/${service}/reborn`;
    const [before] = (await operator.get(key).exec()).kvs;

    await etcd.restart({ emptyData: true });
    await waitFor(async () => (await operator.get(key).exec()).kvs[0], { timeoutMs: 15_000, description: 'the key put back' });
    const [after] = (await operator.get(key).exec()).kvs;
    expect(after!.lease).not.toBe(before!.lease);
    await waitFor(() => discovery.view(service).state === 'live' && addresses(discovery, service).length === 1, {
      timeoutMs: 15_000,
      description: 'the gateway to list it again',
    });
  });
});

describe('etcd discovery with password authentication', () => {
  let etcd: TestEtcd;
  const toClose: Array<{ close(): Promise<void> }> = [];

  const providerAt = (url: string): Promise<DiscoveryProvider> => {
    const env = z.object(discoveryFields).parse({ DISCOVERY: 'etcd', ETCD_URL: url, DISCOVERY_PREFIX: PREFIX });
    return createProvider(discoverySettings(env));
  };

  const withCredentials = (user: string, password: string) => etcd.url.replace('http://', `http://${user}:${encodeURIComponent(password)}@`);

  beforeAll(async () => {
    etcd = await startEtcd();
    const admin = new Etcd3({ hosts: etcd.url });
    try {
      await admin.role('root').create();
      await (await admin.user('root').create('r00t/secret')).addRole('root');
      await admin.auth.authEnable();
    } finally {
      admin.close();
    }
  });

  afterAll(async () => {
    for (const closing of toClose.splice(0)) await closing.close();
    await etcd.dispose();
  });

  it('registers and watches with the credentials written in ETCD_URL', async () => {
    const registering = await providerAt(withCredentials('root', 'r00t/secret'));
    const discovery = new ServiceDiscovery(await providerAt(withCredentials('root', 'r00t/secret')));
    toClose.push(discovery, registering);

    await registering.registrar!.announce(instance('secured', 'a', 5010), 10_000);
    expect((await discovery.resolve('secured')).map((found) => found.address)).toEqual(['10.0.0.10:5010']);
    await registering.registrar!.announce(instance('secured', 'b', 5011), 10_000);
    await waitFor(() => addresses(discovery, 'secured').length === 2, { timeoutMs: 5_000, description: 'the second instance' });
  });

  it('reports etcd unreachable, naming the cause, when the credentials are wrong', async () => {
    const discovery = new ServiceDiscovery(await providerAt(withCredentials('root', 'wrong')));
    toClose.push(discovery);
    await waitFor(() => discovery.view('secured').state === 'unreachable', { timeoutMs: 10_000, description: 'unreachable' });
    expect(discovery.view('secured').error).toMatch(/auth/i);
  });
});

describe('the gateway and services discovering each other through etcd', () => {
  const TTL_MS = 3_000;
  const admin = bearer(token('ops', { claims: { roles: ['admin'] } }));
  let etcd: TestEtcd;
  let serviceEnv: Record<string, string>;
  const instances: ServiceInstanceProcess[] = [];
  let gateway: StartedGateway;

  const listed = async (name: ServiceName) => {
    const { body } = await call<{ provider: string; services: { name: string; registry: { state: string }; instances: { address: string }[] }[] }>(
      gateway.baseUrl,
      '/admin/services',
      { headers: admin },
    );
    const service = body.services.find((found) => found.name === name);
    return { provider: body.provider, state: service?.registry.state, addresses: service?.instances.map((found) => found.address).sort() ?? [] };
  };
  const running = (name: ServiceName) =>
    instances.filter((found) => found.app.name === name && found.app.running).map((found) => found.address).sort();

  beforeAll(async () => {
    etcd = await startEtcd();
    serviceEnv = { DISCOVERY: 'etcd', ETCD_URL: etcd.url, DISCOVERY_TTL_MS: String(TTL_MS), SHUTDOWN_DRAIN_DELAY_MS: '300' };
    const initial = await startInstances(
      (['player-service', 'player-service', 'table-service'] as const).map((name) => () => startInstance(name, serviceEnv)),
    );
    instances.push(...initial);
    gateway = await startGateway({ playerAddress: 'unused:1', tableAddress: 'unused:1', env: serviceEnv });
  }, 60_000);

  afterAll(async () => {
    await stopAll([gateway?.process, ...instances.map((found) => found.app)]);
    await etcd?.dispose();
  });

  it('lists the registered instances and serves the lobby through them', async () => {
    await waitFor(async () => (await listed('player-service')).addresses.length === 2, { timeoutMs: 10_000, description: 'two player-services' });
    expect(await listed('player-service')).toEqual({ provider: 'etcd', state: 'live', addresses: running('player-service') });
    expect((await listed('table-service')).addresses).toEqual(running('table-service'));
    const lobby = await call(gateway.baseUrl, '/api/v1/lobby', { headers: bearer(token('p1')) });
    expect(lobby.status).toBe(200);
  });

  it('drops an instance stopped with SIGTERM before its TTL, and one killed with SIGKILL within it', async () => {
    const [stopped, killed] = instances.filter((found) => found.app.name === 'player-service');
    const stoppedAt = Date.now();
    await stopped!.app.stop(10_000);
    await waitFor(async () => !(await listed('player-service')).addresses.includes(stopped!.address), {
      timeoutMs: TTL_MS,
      description: 'the stopped instance to leave',
    });
    expect(Date.now() - stoppedAt).toBeLessThan(TTL_MS);

    killed!.app.signal('SIGKILL');
    await killed!.app.exited;
    await waitFor(async () => (await listed('player-service')).addresses.length === 0, {
      timeoutMs: TTL_MS + 2_000,
      description: 'the killed instance to expire',
    });
  });
});
