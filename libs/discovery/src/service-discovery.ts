import { Logger } from '@nestjs/common';
import type { DiscoveryKind, DiscoveryProvider, ProviderWatch } from './discovery-provider.js';
import { parseEntry, sameInstances, type RegistryEntry, type ServiceInstance } from './service-instance.js';

/** `pending` until the registry first answers; `unreachable` while it cannot be read (the last known list stays in use). */
export type RegistryState = 'pending' | 'live' | 'unreachable';

export interface ServiceView {
  service: string;
  instances: readonly ServiceInstance[];
  state: RegistryState;
  /** When `state` last changed (epoch ms). */
  since: number;
  /** Why the registry is unreachable; only while it is. */
  error?: string;
}

export type InstancesListener = (instances: readonly ServiceInstance[]) => void;

export interface ServiceDiscoveryOptions {
  /** How long `resolve` waits for the registry's first answer before returning what it has. */
  resolveTimeoutMs?: number;
  clock?: () => number;
}

/** What the discovery knows about one watched service. */
class WatchedService {
  instances: readonly ServiceInstance[] = [];
  /** Whether a list has arrived yet; until then listeners have nothing to hear. */
  known = false;
  state: RegistryState = 'pending';
  since: number;
  error: string | undefined;
  readonly listeners = new Set<InstancesListener>();
  readonly answered: Promise<void>;
  resolveAnswered!: () => void;
  /** Problems already logged, so a malformed entry is logged once, not on every update. */
  readonly reported = new Set<string>();
  watch: ProviderWatch | undefined;

  constructor(now: number) {
    this.since = now;
    this.answered = new Promise((resolve) => (this.resolveAnswered = resolve));
  }
}

/**
 * `resolve(service)` and a change stream over any provider, with what every provider needs the
 * same way: validation of registry entries (bad ones are logged and skipped), one watch per
 * service however many callers listen, change events only when the list really changes, and the
 * last known list kept while the registry is unreachable.
 */
export class ServiceDiscovery {
  private readonly services = new Map<string, WatchedService>();
  private readonly logger = new Logger('discovery');
  private readonly clock: () => number;
  private closed = false;

  constructor(
    private readonly provider: DiscoveryProvider,
    private readonly options: ServiceDiscoveryOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
  }

  get kind(): DiscoveryKind {
    return this.provider.kind;
  }

  /** The live instances, waiting (bounded) for the registry's first answer on a service not watched yet. */
  async resolve(service: string): Promise<readonly ServiceInstance[]> {
    const watched = this.watched(service);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      watched.answered,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.resolveTimeoutMs ?? 2_000))),
    ]);
    clearTimeout(timer);
    return watched.instances;
  }

  /** Calls `listener` with the current list now (when known) and on every change; returns the unsubscribe. */
  watch(service: string, listener: InstancesListener): () => void {
    const watched = this.watched(service);
    watched.listeners.add(listener);
    if (watched.known) listener(watched.instances);
    return () => watched.listeners.delete(listener);
  }

  view(service: string): ServiceView {
    const watched = this.watched(service);
    return {
      service,
      instances: watched.instances,
      state: watched.state,
      since: watched.since,
      ...(watched.error !== undefined && { error: watched.error }),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.services.values()].map((watched) => Promise.resolve(watched.watch?.close())));
    await this.provider.close();
  }

  private watched(service: string): WatchedService {
    const watched = this.services.get(service);
    if (watched) return watched;
    if (this.closed) throw new Error('service discovery is closed');
    const created = new WatchedService(this.clock());
    this.services.set(service, created);
    created.watch = this.provider.watch(service, {
      update: (entries) => this.updated(service, created, entries),
      unreachable: (error) => this.unreachable(service, created, error),
    });
    return created;
  }

  private updated(service: string, watched: WatchedService, entries: readonly RegistryEntry[]): void {
    const instances: ServiceInstance[] = [];
    const ids = new Set<string>();
    for (const entry of entries) {
      const parsed = parseEntry(service, entry);
      if (!parsed.ok) {
        this.reportOnce(watched, `${entry.id}: ${parsed.problem}`, { service, entry: entry.id, problem: parsed.problem });
        continue;
      }
      if (ids.has(parsed.instance.id)) continue;
      ids.add(parsed.instance.id);
      instances.push(parsed.instance);
    }
    if (watched.state !== 'live') {
      if (watched.state === 'unreachable') this.logger.log({ service, instances: instances.length }, 'registry reachable again');
      watched.state = 'live';
      watched.since = this.clock();
      watched.error = undefined;
    }
    watched.resolveAnswered();
    if (watched.known && sameInstances(watched.instances, instances)) return;
    watched.known = true;
    watched.instances = instances;
    this.logger.log({ service, instances: instances.map((instance) => instance.address) }, 'instances changed');
    for (const listener of watched.listeners) listener(instances);
  }

  private unreachable(service: string, watched: WatchedService, error: Error): void {
    watched.resolveAnswered();
    if (watched.state === 'unreachable' && watched.error === error.message) return;
    if (watched.state !== 'unreachable') {
      this.logger.warn(
        { service, err: error, keeping: watched.instances.length },
        'registry unreachable; keeping the last known instances',
      );
      watched.since = this.clock();
    }
    watched.state = 'unreachable';
    watched.error = error.message;
  }

  private reportOnce(watched: WatchedService, key: string, detail: Record<string, string>): void {
    if (watched.reported.has(key)) return;
    // Bounded: a registry full of ever-new broken entries must not grow this set forever.
    if (watched.reported.size >= 1_000) watched.reported.clear();
    watched.reported.add(key);
    this.logger.warn(detail, 'ignoring a malformed registry entry');
  }
}
