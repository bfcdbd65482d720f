import { CompiledRoute, type RouteMatch, type RouteRequest } from './compiled-route.js';
import { RequestPath } from './request-path.js';
import { StaticPrefixTree } from './static-prefix-tree.js';
import { HTTP_METHODS, type RouteSpec } from './route-spec.schema.js';

/**
 * The declarative routes in the order they are tried: higher priority first, then the more specific
 * path, then the order of the file. See byMatchOrder for what "more specific" means.
 */
export class RouteTable {
  readonly routes: readonly CompiledRoute[];
  private readonly prefixes: StaticPrefixTree;

  /** Takes specs that passed routeSpecSchema; throws on a path or rewrite that would not. */
  constructor(routes: readonly RouteSpec[]) {
    // Array.prototype.sort is stable, so ties keep the file's order.
    this.routes = routes.map((spec) => new CompiledRoute(spec)).sort(byMatchOrder);
    this.prefixes = new StaticPrefixTree(this.routes);
  }

  /** The first route that takes the request, or undefined; never throws on malformed paths. */
  match(request: RouteRequest): RouteMatch | undefined {
    const path = RequestPath.parse(request.path);
    if (path === undefined) return undefined;
    for (const route of this.prefixes.candidates(path)) {
      if (route.acceptsMethod(request.method) && route.fits(request, path)) return route.resolve(path);
    }
    return undefined;
  }

  /**
   * Methods of routes whose path (and match block) fit but whose methods don't: for a 405 with Allow.
   * Empty when no route's path fits.
   */
  allowedMethods(request: RouteRequest): string[] {
    const path = RequestPath.parse(request.path);
    if (path === undefined) return [];
    const allowed = new Set<string>();
    for (const route of this.prefixes.candidates(path)) {
      if (!route.fits(request, path)) continue;
      for (const method of route.methods ?? HTTP_METHODS) allowed.add(method);
    }
    return HTTP_METHODS.filter((method) => allowed.has(method));
  }
}

/**
 * More static segments first; then routes without a wildcard; then more segments, since among wildcard
 * routes with the same static text the longer one is the narrower (`/api/:name/*` inside `/api/*`);
 * then the longer path. With this order an earlier route covers all of a later one only when its
 * priority is higher or the two paths have the same shape.
 */
function byMatchOrder(a: CompiledRoute, b: CompiledRoute): number {
  return (
    b.spec.priority - a.spec.priority ||
    b.staticSegments - a.staticSegments ||
    Number(a.wildcard) - Number(b.wildcard) ||
    b.paramSegments - a.paramSegments ||
    b.spec.path.length - a.spec.path.length
  );
}
