import { compileCachePolicy, type CachePolicy } from '@portico/cache';
import { compileLimits, type RateLimitSet } from '@portico/rate-limit';
import type { RequestPath } from './request-path.js';
import { parseRoutePath, staticPrefix, type PathSegment } from './route-path.js';
import type { RouteSpec } from './route-spec.schema.js';
import { applyRewrite, compileUpstreamPath, type UpstreamPathRule } from './upstream-path.js';

/** What a route looks at in a request; the gateway adapts its own request object to this. */
export interface RouteRequest {
  method: string;
  /** Without the query. */
  path: string;
  /** Without the port, lowercased. */
  host: string | undefined;
  /** Takes a lowercase name. */
  header(name: string): string | undefined;
  /** Only read when some route matches on the query, so a getter may parse it lazily. */
  query: URLSearchParams | undefined;
}

export interface RouteMatch {
  route: CompiledRoute;
  /** Parameters percent-decoded, plus `*`: the wildcard's rest as sent (no leading slash). */
  params: Readonly<Record<string, string>>;
  /** The path to send upstream after stripPrefix or rewrite, without the query. */
  upstreamPath: string;
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/** A route spec turned into what matching a request needs, computed once when the table is built. */
export class CompiledRoute {
  readonly id: string;
  /** Undefined when the route accepts every method. HEAD is included wherever GET is. */
  readonly methods: ReadonlySet<string> | undefined;
  readonly segments: readonly PathSegment[];
  readonly wildcard: boolean;
  /** The leading static segments, decoded: what the table indexes the route by. */
  readonly staticPrefix: readonly string[];
  readonly staticSegments: number;
  readonly paramSegments: number;
  /** The route's own limits, an empty set when it opts out, undefined when the configured default applies. */
  readonly rateLimits: RateLimitSet | undefined;
  /** The route's cache policy, named by its id (metrics, `routes` invalidation). */
  readonly cache: CachePolicy | undefined;
  private readonly host: { readonly exact: string } | { readonly suffix: string } | undefined;
  private readonly headers: readonly (readonly [string, string])[];
  private readonly query: readonly (readonly [string, string])[];
  private readonly upstreamPath: UpstreamPathRule;

  constructor(readonly spec: RouteSpec) {
    const path = parseRoutePath(spec.path);
    if (!path.ok) throw new Error(`route ${spec.id}: path ${spec.path}: ${path.message}`);
    const upstreamPath = compileUpstreamPath(spec, path.path);
    if (!upstreamPath.ok) throw new Error(`route ${spec.id}: ${upstreamPath.field}: ${upstreamPath.message}`);
    this.id = spec.id;
    this.methods = spec.methods && new Set(spec.methods.includes('GET') ? [...spec.methods, 'HEAD'] : spec.methods);
    this.segments = path.path.segments;
    this.wildcard = path.path.wildcard;
    this.staticPrefix = staticPrefix(path.path);
    this.paramSegments = this.segments.filter((segment) => segment.kind === 'param').length;
    this.staticSegments = this.segments.length - this.paramSegments;
    const host = spec.match?.host;
    this.host = host === undefined ? undefined : host.startsWith('*.') ? { suffix: host.slice(1) } : { exact: host };
    this.headers = Object.entries(spec.match?.headers ?? {});
    this.query = Object.entries(spec.match?.query ?? {});
    this.upstreamPath = upstreamPath.rule;
    const rateLimit = spec.rateLimit;
    this.rateLimits =
      rateLimit === undefined ? undefined : compileLimits(rateLimit === false ? [] : [rateLimit].flat(), `route:${spec.id}`);
    this.cache = spec.cache && compileCachePolicy(spec.cache, spec.id);
  }

  acceptsMethod(method: string): boolean {
    return this.methods === undefined || this.methods.has(method);
  }

  /** Everything but the method fits: path, host, headers and query. */
  fits(request: RouteRequest, path: RequestPath): boolean {
    return this.fitsPath(path) && this.fitsHost(request.host) && this.fitsHeaders(request) && this.fitsQuery(request);
  }

  /** Parameters and upstream path of a request this route fits. */
  resolve(path: RequestPath): RouteMatch {
    const count = this.segments.length;
    const rest = this.wildcard ? path.restAfter(count) : '';
    const wildcardValue = rest.slice(1);
    let params = NO_PARAMS;
    if (this.paramSegments > 0 || this.wildcard) {
      const named: Record<string, string> = {};
      for (let index = 0; index < count; index++) {
        const segment = this.segments[index];
        if (segment?.kind === 'param') named[segment.name] = path.decoded[index] ?? '';
      }
      if (this.wildcard) named['*'] = wildcardValue;
      params = named;
    }
    return { route: this, params, upstreamPath: this.upstreamPathOf(path, wildcardValue) };
  }

  private upstreamPathOf(path: RequestPath, wildcardValue: string): string {
    const rule = this.upstreamPath;
    switch (rule.kind) {
      case 'original':
        return path.raw;
      case 'strip':
        return path.restAfter(rule.segments) || '/';
      case 'rewrite': {
        const captures: string[] = [];
        this.segments.forEach((segment, index) => {
          if (segment.kind === 'param') captures.push(path.segments[index] ?? '');
        });
        if (this.wildcard) captures.push(wildcardValue);
        return applyRewrite(rule.parts, captures);
      }
    }
  }

  private fitsPath(path: RequestPath): boolean {
    const count = this.segments.length;
    const decoded = path.decoded;
    if (this.wildcard ? decoded.length < count : decoded.length !== count) return false;
    for (let index = 0; index < count; index++) {
      const segment = this.segments[index];
      const value = decoded[index];
      if (segment === undefined || value === undefined) return false;
      if (segment.kind === 'static' ? segment.value !== value : value === '') return false;
    }
    return true;
  }

  private fitsHost(host: string | undefined): boolean {
    if (this.host === undefined) return true;
    if (host === undefined) return false;
    return 'exact' in this.host
      ? host === this.host.exact
      : host.length > this.host.suffix.length && host.endsWith(this.host.suffix);
  }

  private fitsHeaders(request: RouteRequest): boolean {
    for (const [name, value] of this.headers) if (request.header(name) !== value) return false;
    return true;
  }

  private fitsQuery(request: RouteRequest): boolean {
    if (this.query.length === 0) return true;
    const query = request.query;
    if (query === undefined) return false;
    for (const [name, value] of this.query) if (query.get(name) !== value) return false;
    return true;
  }
}
