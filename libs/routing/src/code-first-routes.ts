import type { FastifyInstance, RouteOptions } from 'fastify';
import Router from 'find-my-way';

/** How Fastify's own router reads paths, from the instance's settings; both routers must agree. */
interface RouterSettings {
  caseSensitive?: boolean;
  ignoreTrailingSlash?: boolean;
  ignoreDuplicateSlashes?: boolean;
  maxParamLength?: number;
  useSemicolonDelimiter?: boolean;
}

const answerNothing = () => undefined;

/**
 * The paths Fastify serves itself (code-first controllers, docs, health, metrics, admin), in a
 * find-my-way router of their own. The edge proxy serves route-file requests before Fastify sees
 * them, so it asks this first: a code-first route keeps precedence exactly as Fastify's router would
 * give it over the route table's catch-all. find-my-way is the router Fastify itself uses.
 */
export class CodeFirstRoutes {
  private readonly router: Router.Instance<Router.HTTPVersion.V1>;

  constructor(settings: RouterSettings) {
    // useSemicolonDelimiter is read by find-my-way but missing from its typings.
    const config: Router.Config<Router.HTTPVersion.V1> & Pick<RouterSettings, 'useSemicolonDelimiter'> = {
      caseSensitive: settings.caseSensitive ?? true,
      ignoreTrailingSlash: settings.ignoreTrailingSlash ?? false,
      ignoreDuplicateSlashes: settings.ignoreDuplicateSlashes ?? false,
      maxParamLength: settings.maxParamLength ?? 100,
      useSemicolonDelimiter: settings.useSemicolonDelimiter ?? false,
    };
    this.router = Router(config);
  }

  /** Follows every route `fastify` adds from now on, except those `skip` names (the catch-all). */
  static following(fastify: FastifyInstance, skip: (route: RouteOptions) => boolean): CodeFirstRoutes {
    const config = fastify.initialConfig as RouterSettings & { routerOptions?: RouterSettings };
    const routes = new CodeFirstRoutes({ ...config, ...config.routerOptions });
    fastify.addHook('onRoute', (route) => {
      if (!skip(route)) routes.add(route);
    });
    return routes;
  }

  add(route: Pick<RouteOptions, 'method' | 'url' | 'constraints'>): void {
    const methods = [route.method].flat().map((method) => method.toUpperCase());
    // Fastify answers HEAD for every GET route unless told otherwise.
    if (methods.includes('GET')) methods.push('HEAD');
    // A host constraint is read as Fastify reads it; any other (Nest's version strategy) is left out,
    // so the route covers its path whatever the request's version: the safe side, Fastify decides.
    const host = route.constraints?.['host'];
    const constraints = host === undefined ? {} : { host };
    for (const method of new Set(methods)) {
      if (!this.router.hasRoute(method as Router.HTTPMethod, route.url, constraints)) {
        this.router.on(method as Router.HTTPMethod, route.url, { constraints }, answerNothing);
      }
    }
  }

  /** Whether Fastify has a route of its own for this request; `path` without the query. */
  covers(method: string, path: string, host: string | undefined): boolean {
    return this.router.find(method as Router.HTTPMethod, path, host === undefined ? {} : { host }) !== null;
  }
}
