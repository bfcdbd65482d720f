import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Metrics } from '@portico/observability';
import { HttpUpstream } from '@portico/proxy';
import { Counter, Gauge } from 'prom-client';
import { formatIssues, type RouteFileIssue } from './route-file-issue.js';
import { readRouteFile, validateRoute } from './route-file.js';
import type { RouteFile } from './route-file.schema.js';
import type { RouteSpec } from './route-spec.schema.js';
import { ROUTING_OPTIONS, type RoutingOptions } from './routing-options.js';
import { RouteTable } from './route-table.js';

/** The routes and upstreams serving right now; replaced whole, never mutated, so a request sees one version. */
export interface LiveRoutes {
  readonly table: RouteTable;
  readonly upstreams: ReadonlyMap<string, HttpUpstream>;
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
 * only after their in-flight requests finish.
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
  private readonly reloads: Counter<'result'>;

  constructor(
    @Inject(ROUTING_OPTIONS) private readonly options: RoutingOptions,
    metrics: Metrics,
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

  onModuleInit(): void {
    if (this.options.initial) this.apply(this.options.initial);
    if (this.options.routesFile && this.options.watch) this.watchFile(this.options.routesFile);
  }

  async onApplicationShutdown(): Promise<void> {
    this.watcher?.close();
    clearTimeout(this.debounce);
    await Promise.all([...this.state.upstreams.values()].map((upstream) => upstream.close()));
  }

  /** Re-reads the route file; an invalid file is refused and the live table stays. */
  async reload(): Promise<RouteChange> {
    const source = this.options.routesFile;
    if (source === undefined) return { ok: false, issues: [{ path: '', message: 'no ROUTES_FILE is configured' }] };
    const result = await readRouteFile(source, { reservedPrefixes: this.options.reservedPrefixes });
    if (!result.ok) {
      this.reloads.inc({ result: 'rejected' });
      this.logger.error({ issues: result.issues }, `route file rejected; the previous routes keep serving:\n${formatIssues(source, result.issues)}`);
      return result;
    }
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
    const upstreams = new Map<string, HttpUpstream>();
    for (const [name, spec] of Object.entries(file.upstreams)) {
      const kept = previous.get(name);
      if (kept && JSON.stringify(kept.spec) === JSON.stringify(spec)) {
        upstreams.set(name, kept);
      } else {
        const upstream = new HttpUpstream(name, spec);
        upstream.start();
        upstreams.set(name, upstream);
      }
    }
    this.state = { table: new RouteTable(routes), upstreams, version: this.state.version + 1, loadedAt: new Date() };
    this.reloads.inc({ result: 'applied' });
    this.logger.log({ version: this.state.version, routes: routes.length, upstreams: upstreams.size }, 'routes applied');
    for (const [name, upstream] of previous) {
      if (upstreams.get(name) === upstream) continue;
      upstream.close().catch((error: unknown) => this.logger.warn({ err: error, upstream: name }, 'closing a replaced upstream failed'));
    }
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
