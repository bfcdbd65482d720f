import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ServiceDiscovery, type ServiceInstance } from '@portico/discovery';
import { Metrics } from '@portico/observability';
import { HttpUpstream } from '@portico/proxy';
import type { TargetInit } from '@portico/upstream';
import { Counter, Gauge } from 'prom-client';
import { formatIssues, type RouteFileIssue } from './route-file-issue.js';
import { readRouteFile, validateRoute } from './route-file.js';
import type { RouteFile } from './route-file.schema.js';
import type { RouteSpec } from './route-spec.schema.js';
import { ROUTING_OPTIONS, type RoutingOptions } from './routing-options.js';
import { RouteTable } from './route-table.js';
import type { UpstreamSpec } from './upstream-spec.schema.js';

/** An upstream of the route file, with the spec it was built from. */
export type RouteUpstream = HttpUpstream<UpstreamSpec>;

/** The routes and upstreams serving right now; replaced whole, never mutated, so a request sees one version. */
export interface LiveRoutes {
  readonly table: RouteTable;
  readonly upstreams: ReadonlyMap<string, RouteUpstream>;
  readonly version: number;
  readonly loadedAt: Date;
}

export type RouteChange = { ok: true } | { ok: false; issues: RouteFileIssue[] };

/** Coalesces the bursts of change events editors and `mv` produce into one reload. */
const WATCH_DEBOUNCE_MS = 100;

/**
 * Owns the live route table: loads the route file, swaps in a new table atomically on reload or an
 * admin change, and keeps the previous one when a new version is invalid. Upstreams whose definition
 * did not change keep their pools, health and circuit state across reloads; replaced ones are closed
 * only after their in-flight requests finish. A discovered upstream follows its service's instance
 * list for as long as it is in the table.
 */
@Injectable()
export class RouteRegistry implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RouteRegistry.name);
  private file: RouteFile = { upstreams: {}, routes: [] };
  /** Admin API changes, applied over the file on every reload: a route, or null for a deleted one. */
  private readonly overlay = new Map<string, RouteSpec | null>();
  private state: LiveRoutes = { table: new RouteTable([]), upstreams: new Map(), version: 0, loadedAt: new Date() };
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  /** Ends each discovered upstream's watch; an upstream leaves this map when it leaves the table. */
  private readonly watches = new Map<RouteUpstream, () => void>();
  /** Reloads run one after another, so a slow one can never apply an older file over a newer one. */
  private reloading: Promise<unknown> = Promise.resolve();
  private readonly reloads: Counter<'result'>;

  constructor(
    @Inject(ROUTING_OPTIONS) private readonly options: RoutingOptions,
    metrics: Metrics,
    private readonly discovery: ServiceDiscovery,
  ) {
    this.reloads = new Counter({
      name: 'routes_reloads_total',
      help: 'Route table reloads, by result (applied or rejected).',
      labelNames: ['result'],
      registers: [metrics.registry],
    });
    const loaded: Gauge = new Gauge({
      name: 'routes_loaded',
      help: 'Routes in the live table.',
      registers: [metrics.registry],
      collect: () => loaded.set(this.state.table.routes.length),
    });
  }

  get live(): LiveRoutes {
    return this.state;
  }

  async onModuleInit(): Promise<void> {
    if (this.options.initial) {
      await this.discover(this.options.initial);
      this.apply(this.options.initial);
    }
    if (this.options.routesFile && this.options.watch) this.watchFile(this.options.routesFile);
  }

  async onApplicationShutdown(): Promise<void> {
    this.watcher?.close();
    clearTimeout(this.debounce);
    for (const unwatch of this.watches.values()) unwatch();
    this.watches.clear();
    await Promise.all([...this.state.upstreams.values()].map((upstream) => upstream.close()));
  }

  /** Re-reads the route file; an invalid file is refused and the live table stays. */
  reload(): Promise<RouteChange> {
    const change = this.reloading.then(() => this.load());
    this.reloading = change.catch(() => undefined);
    return change;
  }

  private async load(): Promise<RouteChange> {
    const source = this.options.routesFile;
    if (source === undefined) return { ok: false, issues: [{ path: '', message: 'no ROUTES_FILE is configured' }] };
    const result = await readRouteFile(source, { reservedPrefixes: this.options.reservedPrefixes });
    if (!result.ok) {
      this.reloads.inc({ result: 'rejected' });
      this.logger.error({ issues: result.issues }, `route file rejected; the previous routes keep serving:\n${formatIssues(source, result.issues)}`);
      return result;
    }
    await this.discover(result.file);
    this.apply(result.file);
    return { ok: true };
  }

  /** Adds or replaces one route at runtime; it survives file reloads until deleted. */
  putRoute(id: string, candidate: unknown): RouteChange {
    const body = typeof candidate === 'object' && candidate !== null ? { ...candidate, id } : candidate;
    const result = validateRoute(body, new Set(this.state.upstreams.keys()), { reservedPrefixes: this.options.reservedPrefixes });
    if (!result.ok) return result;
    this.overlay.set(id, result.route);
    this.apply(this.file);
    return { ok: true };
  }

  /** Whether the route came from the admin API rather than the file. */
  isRuntimeRoute(id: string): boolean {
    return this.overlay.get(id) != null;
  }

  /** Removes a route at runtime; false when no such route is live. */
  deleteRoute(id: string): boolean {
    if (!this.state.table.routes.some((route) => route.id === id)) return false;
    this.overlay.set(id, null);
    this.apply(this.file);
    return true;
  }

  private apply(file: RouteFile): void {
    this.file = file;
    const routes = file.routes.filter((route) => !this.overlay.has(route.id));
    for (const route of this.overlay.values()) if (route) routes.push(route);
    const previous = this.state.upstreams;
    const upstreams = new Map<string, RouteUpstream>();
    for (const [name, spec] of Object.entries(file.upstreams)) {
      const kept = previous.get(name);
      upstreams.set(name, kept && JSON.stringify(kept.spec) === JSON.stringify(spec) ? kept : this.open(name, spec));
    }
    this.state = { table: new RouteTable(routes), upstreams, version: this.state.version + 1, loadedAt: new Date() };
    this.reloads.inc({ result: 'applied' });
    this.logger.log({ version: this.state.version, routes: routes.length, upstreams: upstreams.size }, 'routes applied');
    for (const [name, upstream] of previous) {
      if (upstreams.get(name) === upstream) continue;
      this.watches.get(upstream)?.();
      this.watches.delete(upstream);
      upstream.close().catch((error: unknown) => this.logger.warn({ err: error, upstream: name }, 'closing a replaced upstream failed'));
    }
  }

  private open(name: string, declared: UpstreamSpec): RouteUpstream {
    const { zone } = this.options;
    // The same default as the gRPC pools: a discovered service's instances in this gateway's zone first.
    const spec = declared.discovery && !declared.prefer && zone !== undefined ? { ...declared, prefer: { zone } } : declared;
    const upstream = new HttpUpstream(name, spec);
    upstream.start();
    if (spec.discovery) {
      const { service, scheme } = spec.discovery;
      const unwatch = this.discovery.watch(service, (instances) => {
        upstream
          .replaceTargets(targetsOf(instances, scheme))
          .catch((error: unknown) => this.logger.warn({ err: error, upstream: name, service }, 'closing a departed target failed'));
      });
      this.watches.set(upstream, unwatch);
    }
    return upstream;
  }

  /**
   * Waits for the registry's first answer on every service the file discovers (bounded by the
   * discovery's resolve timeout), so a new discovered upstream starts serving with its instances.
   */
  private async discover(file: RouteFile): Promise<void> {
    const services = new Set(Object.values(file.upstreams).flatMap((spec) => (spec.discovery ? [spec.discovery.service] : [])));
    await Promise.all(
      [...services].map(async (service) => {
        const instances = await this.discovery.resolve(service);
        if (instances.length === 0) this.logger.warn({ service, provider: this.discovery.kind }, 'no instance of a discovered upstream yet');
      }),
    );
  }

  private watchFile(file: string): void {
    const name = basename(file);
    // The directory, not the file: editors and deploy tools replace the file by renaming, which a file watch misses.
    this.watcher = watch(dirname(file), (_event, changed) => {
      if (changed !== null && changed !== name) return;
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => void this.reload(), WATCH_DEBOUNCE_MS);
    });
    this.watcher.unref();
  }
}

/**
 * One target per instance, at `scheme://host:port`. The pool keys targets by address, so two
 * instances registered at the same address count once, with the first one's weight and metadata.
 */
function targetsOf(instances: readonly ServiceInstance[], scheme: 'http' | 'https'): TargetInit[] {
  const targets = new Map<string, TargetInit>();
  for (const instance of instances) {
    const address = `${scheme}://${instance.address}`;
    if (!targets.has(address)) targets.set(address, { address, weight: instance.weight, metadata: instance.metadata });
  }
  return [...targets.values()];
}
