import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceDiscovery, type DiscoveryProvider, type ProviderWatch, type RegistryEntry, type WatchSink } from '@portico/discovery';
import { Metrics } from '@portico/observability';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { RouteRegistry, type RouteUpstream } from './route-registry.js';
import { routeFileSchema } from './route-file.schema.js';

interface Instance {
  id: string;
  address: string;
  weight?: number;
  metadata?: Record<string, string>;
}

/**
 * A registry the test edits: `set` reports a service's whole list to its watches, as providers do.
 * The first answer comes a macrotask after the watch starts, like a network round trip.
 */
class EditableProvider implements DiscoveryProvider {
  readonly kind = 'static';
  private readonly lists = new Map<string, RegistryEntry[]>();
  private readonly sinks = new Map<string, Set<WatchSink>>();

  set(service: string, instances: readonly Instance[]): void {
    const entries = instances.map(({ id, ...value }) => ({ id, value }));
    this.lists.set(service, entries);
    for (const sink of this.sinks.get(service) ?? []) sink.update(entries);
  }

  watch(service: string, sink: WatchSink): ProviderWatch {
    const sinks = this.sinks.get(service) ?? new Set();
    this.sinks.set(service, sinks.add(sink));
    setImmediate(() => sink.update(this.lists.get(service) ?? []));
    return { close: () => void sinks.delete(sink) };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const players = (extra: Record<string, unknown> = {}) => ({ discovery: { service: 'players' }, ...extra });

const routesWith = (upstreams: Record<string, unknown>) => ({
  upstreams,
  routes: Object.keys(upstreams).map((name) => ({ id: name, path: `/${name}/*`, upstream: name })),
});

const addresses = (upstream: RouteUpstream | undefined) => upstream?.pool.targets.map((target) => target.address);

describe('RouteRegistry with discovered upstreams', () => {
  let provider: EditableProvider;
  let discovery: ServiceDiscovery;
  let folder: string;
  let registry: RouteRegistry;

  /** A registry serving `routes`, read from a file later reloads re-read. */
  const startRegistry = async (routes: Record<string, unknown>, zone?: string) => {
    const routesFile = join(folder, 'routes.yaml');
    await writeFile(routesFile, stringify(routes));
    registry = new RouteRegistry(
      {
        routesFile,
        initial: routeFileSchema.parse(routes),
        watch: false,
        bodyLimitBytes: 1_024,
        reservedPrefixes: [],
        trustProxy: false,
        zone,
      },
      new Metrics(),
      discovery,
    );
    await registry.onModuleInit();
  };

  const reloadWith = async (routes: Record<string, unknown>) => {
    await writeFile(join(folder, 'routes.yaml'), stringify(routes));
    expect(await registry.reload()).toEqual({ ok: true });
  };

  const upstream = (name: string) => registry.live.upstreams.get(name);

  beforeEach(async () => {
    provider = new EditableProvider();
    discovery = new ServiceDiscovery(provider);
    folder = await mkdtemp(join(tmpdir(), 'portico-registry-'));
    provider.set('players', [
      { id: 'p1', address: '10.0.0.1:8080', metadata: { zone: 'eu-1' } },
      { id: 'p2', address: '10.0.0.2:8080', weight: 3, metadata: { zone: 'us-1' } },
    ]);
  });

  afterEach(async () => {
    await registry.onApplicationShutdown();
    await discovery.close();
    await rm(folder, { recursive: true, force: true });
  });

  it('starts serving with the instances the registry lists, as scheme://host:port with their weight and metadata', async () => {
    await startRegistry(routesWith({ players: players({ discovery: { service: 'players', scheme: 'https' } }) }));
    expect(upstream('players')?.pool.targets.map(({ address, weight, metadata }) => ({ address, weight, metadata }))).toEqual([
      { address: 'https://10.0.0.1:8080', weight: 1, metadata: { zone: 'eu-1' } },
      { address: 'https://10.0.0.2:8080', weight: 3, metadata: { zone: 'us-1' } },
    ]);
  });

  it('follows the instance list, keeping the state of targets that stay', async () => {
    await startRegistry(routesWith({ players: players() }));
    const live = upstream('players')!;
    const staying = live.pool.targets.find((target) => target.address === 'http://10.0.0.2:8080')!;
    const lease = live.pool.acquire(staying);

    provider.set('players', [
      { id: 'p2', address: '10.0.0.2:8080', weight: 3, metadata: { zone: 'us-1' } },
      { id: 'p3', address: '10.0.0.3:8080' },
    ]);
    expect(addresses(live)).toEqual(['http://10.0.0.2:8080', 'http://10.0.0.3:8080']);
    expect(live.pool.targets[0]).toBe(staying);
    expect(staying.inFlight).toBe(1);
    lease?.succeed();

    provider.set('players', []);
    expect(addresses(live)).toEqual([]);
  });

  it('counts two instances registered at one address as one target', async () => {
    provider.set('players', [
      { id: 'old', address: '10.0.0.1:8080', weight: 2 },
      { id: 'new', address: '10.0.0.1:8080', weight: 5 },
    ]);
    await startRegistry(routesWith({ players: players() }));
    expect(upstream('players')?.pool.targets.map(({ address, weight }) => [address, weight])).toEqual([['http://10.0.0.1:8080', 2]]);
  });

  it('picks instances whose metadata match prefer while one is available, and the others when none is', async () => {
    await startRegistry(routesWith({ players: players({ prefer: { zone: 'eu-1' } }) }));
    const live = upstream('players')!;
    const pick = () => live.pool.pick({ prefer: live.prefer })?.address;
    expect([pick(), pick(), pick()]).toEqual(Array(3).fill('http://10.0.0.1:8080'));

    provider.set('players', [{ id: 'p2', address: '10.0.0.2:8080', metadata: { zone: 'us-1' } }]);
    expect(pick()).toBe('http://10.0.0.2:8080');
  });

  it("prefers the gateway's own zone for a discovered upstream that declares no prefer", async () => {
    await startRegistry(routesWith({ players: players() }), 'us-1');
    const live = upstream('players')!;
    const pick = () => live.pool.pick({ prefer: live.prefer })?.address;
    expect([pick(), pick(), pick()]).toEqual(Array(3).fill('http://10.0.0.2:8080'));
  });

  it('keeps an unchanged discovered upstream, its pool and its watch, across a reload', async () => {
    await startRegistry(routesWith({ players: players() }));
    const before = upstream('players');
    await reloadWith(routesWith({ players: players(), other: { targets: [{ url: 'http://10.0.9.9' }] } }));
    expect(upstream('players')).toBe(before);

    provider.set('players', [{ id: 'p3', address: '10.0.0.3:8080' }]);
    expect(addresses(upstream('players'))).toEqual(['http://10.0.0.3:8080']);
  });

  it('applies a reload that adds a discovered upstream once the registry has listed its instances', async () => {
    provider.set('tables', [{ id: 't1', address: '10.0.1.1:8080' }]);
    await startRegistry(routesWith({ players: players() }));
    await reloadWith(routesWith({ players: players(), tables: { discovery: { service: 'tables' } } }));
    expect(addresses(upstream('tables'))).toEqual(['http://10.0.1.1:8080']);
  });

  it('stops following with an upstream that a reload changes or drops, and follows with its replacement', async () => {
    await startRegistry(routesWith({ players: players(), spare: players() }));
    const [changed, dropped] = [upstream('players')!, upstream('spare')!];
    await reloadWith(routesWith({ players: players({ prefer: { zone: 'us-1' } }) }));
    const replacement = upstream('players')!;
    expect(replacement).not.toBe(changed);
    expect(upstream('spare')).toBeUndefined();

    provider.set('players', [{ id: 'p3', address: '10.0.0.3:8080' }]);
    expect(addresses(replacement)).toEqual(['http://10.0.0.3:8080']);
    expect(addresses(changed)).toEqual(['http://10.0.0.1:8080', 'http://10.0.0.2:8080']);
    expect(addresses(dropped)).toEqual(['http://10.0.0.1:8080', 'http://10.0.0.2:8080']);
  });

  it('stops following on shutdown', async () => {
    await startRegistry(routesWith({ players: players() }));
    const live = upstream('players');
    await registry.onApplicationShutdown();

    provider.set('players', [{ id: 'p3', address: '10.0.0.3:8080' }]);
    expect(addresses(live)).toEqual(['http://10.0.0.1:8080', 'http://10.0.0.2:8080']);
  });
});
