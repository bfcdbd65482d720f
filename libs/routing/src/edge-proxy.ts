import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { requireAnyRole, TokenVerifier, type Principal } from '@portico/auth';
import { ResponseCache } from '@portico/cache';
import { ProblemException, sendProblem, toProblemResponse, writeProblem } from '@portico/errors';
import { Metrics, recordRequest, REQUEST_ID_HEADER, requestIdFor, UNMATCHED_ROUTE } from '@portico/observability';
import {
  applyHeaderRules,
  classifyForwardFailure,
  endToEndHeaders,
  forwardingHeaders,
  hasRequestBody,
  HttpForwarder,
  openWebSocketTunnel,
  ProxyMetrics,
  refuseUpgrade,
  ResponseInterrupted,
  type ClientOrigin,
  type HeaderMap,
  type HttpUpstream,
} from '@portico/proxy';
import { RateLimiter, type RateLimitSubject } from '@portico/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Dispatcher } from 'undici';
import { CodeFirstRoutes } from './code-first-routes.js';
import { EdgeCache, type ClientResponse, type UpstreamCall } from './edge-cache.js';
import { clientOrigin, DirectExchange, fastifyExchange, type EdgeExchange } from './edge-exchange.js';
import { isForeignUpgrade } from './foreign-upgrade.js';
import { RouteRegistry, type LiveRoutes } from './route-registry.js';
import type { RouteMatch, RouteRequest } from './compiled-route.js';
import type { RouteSpec } from './route-spec.schema.js';
import { ROUTING_OPTIONS, type RoutingOptions } from './routing-options.js';

/**
 * Headers the proxy writes itself. Client-sent copies are dropped first, so a client can neither
 * spoof its address nor claim an identity: x-portico-* carry the verified principal.
 */
const GATEWAY_OWNED = new Set([
  'host',
  'expect',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-portico-sub',
  'x-portico-roles',
  REQUEST_ID_HEADER,
]);
const NOTHING_OWNED = new Set<string>();
/** The methods the proxy forwards; others (TRACE, WebDAV's) get Fastify's 404, wherever they are sent. */
const METHODS: Dispatcher.HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const FORWARDED_METHODS = new Set<string>(METHODS);

function queryOf(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? '' : url.slice(index);
}

function pathOf(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? url : url.slice(0, index);
}

/** False for a path with broken percent-encoding, which Fastify's router refuses with a 400 problem. */
function wellEncoded(path: string): boolean {
  if (!path.includes('%')) return true;
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * What the route table matches on; the host and the query are worked out only for routes that ask.
 * A class, whose getters live once on its prototype, rather than an object literal whose getters
 * were fresh closures per request: with the literal, each request's objects (the Node request, its
 * headers, these closures) survived young-generation collections, 2 MB promoted per scavenge at
 * 5,500 req/s and 3-4 ms pauses; with the class, 0.03 MB (bench/README.md, the proxy scenario).
 */
class PendingRouteRequest implements RouteRequest {
  readonly path: string;
  private resolvedHost: { value: string | undefined } | undefined;
  private parsedQuery: URLSearchParams | undefined;

  constructor(
    readonly method: string,
    private readonly url: string,
    private readonly hostname: () => string | undefined,
    private readonly headers: IncomingMessage['headers'],
  ) {
    this.path = pathOf(url);
  }

  get host(): string | undefined {
    this.resolvedHost ??= { value: this.hostname()?.toLowerCase() };
    return this.resolvedHost.value;
  }

  get query(): URLSearchParams {
    this.parsedQuery ??= new URLSearchParams(queryOf(this.url));
    return this.parsedQuery;
  }

  header(name: string): string | undefined {
    const value = this.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }
}

/**
 * Browsers cannot set headers on a WebSocket handshake, so an upgrade may carry its bearer token as
 * `?access_token=` instead (RFC 6750 §2.3). The token is taken out of the query before anything is
 * forwarded or logged.
 */
function splitAccessToken(url: string): { url: string; token: string | undefined } {
  const query = queryOf(url);
  if (!query.includes('access_token=')) return { url, token: undefined };
  const params = new URLSearchParams(query);
  const token = params.get('access_token') ?? undefined;
  params.delete('access_token');
  const rest = params.toString();
  return { url: pathOf(url) + (rest === '' ? '' : `?${rest}`), token };
}

function hostnameOf(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  // Strip the port, keeping bracketed IPv6 literals whole.
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':', 1)[0];
}

/** A weighted choice among a split's upstreams (canary, blue-green); the single upstream otherwise. */
function chooseUpstream(spec: RouteSpec): string {
  if (spec.split === undefined) return spec.upstream!;
  const total = spec.split.reduce((sum, part) => sum + part.weight, 0);
  let ticket = Math.random() * total;
  for (const part of spec.split) {
    ticket -= part.weight;
    if (ticket < 0) return part.upstream;
  }
  return spec.split[spec.split.length - 1]!.upstream;
}

function limitSubject(match: RouteMatch, ip: string, principal: Principal | undefined, apiKey: string | string[] | undefined): RateLimitSubject {
  return { ip, sub: principal?.sub, apiKey: typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined, route: match.route.id };
}

function notConfigured(name: string): ProblemException {
  return new ProblemException({ status: 503, slug: 'upstream-unavailable', title: 'Service unavailable', detail: `upstream ${name} is not configured` });
}

/** What the request listener found out about a request it keeps from Fastify. */
interface DirectRequest {
  live: LiveRoutes;
  match: RouteMatch;
  url: string;
  ip: string;
  origin: ClientOrigin;
}

/** A marker in the catch-all route's config, so the code-first router leaves it out. */
const CATCH_ALL = 'porticoEdgeCatchAll';

/**
 * What the gateway's Fastify instance does to every response that the edge proxy must do itself
 * for the requests it serves ahead of Fastify.
 */
export interface EdgeFront {
  /** Fastify's rewriteUrl: the path a request is routed by (media-type versions). */
  rewriteUrl: (request: IncomingMessage) => string;
  /** Requests that must go through Fastify after all (CORS applies to them). */
  needsFastify: (request: IncomingMessage) => boolean;
  /** Headers every response carries: security headers, and `connection: close` while draining. */
  responseHeaders: (https: boolean) => Readonly<Record<string, string>>;
}

/**
 * Serves the route table. Requests for route-file routes are answered from the Node server's request
 * event, ahead of Fastify: the proxy's hot path skips Fastify's routing, request and reply objects
 * and hooks, and writes the request id, security headers, access log and metrics itself. Code-first
 * routes keep precedence (CodeFirstRoutes asks Fastify's router rules), and requests CORS applies
 * to go through Fastify's catch-all route, which serves the same table the same way. WebSocket
 * upgrades come from the server's upgrade event. Requests are authenticated before anything is sent
 * upstream.
 */
@Injectable()
export class EdgeProxy {
  private readonly logger = new Logger(EdgeProxy.name);
  private readonly forwarder: HttpForwarder;
  private readonly metrics: ProxyMetrics;
  private readonly tunnels = new Set<Duplex>();
  private readonly cache: EdgeCache | undefined;

  constructor(
    private readonly registry: RouteRegistry,
    private readonly verifier: TokenVerifier,
    private readonly limiter: RateLimiter,
    @Inject(ROUTING_OPTIONS) private readonly options: RoutingOptions,
    private readonly appMetrics: Metrics,
    @Optional() responseCache?: ResponseCache,
  ) {
    this.metrics = new ProxyMetrics(appMetrics.registry, () => [...registry.live.upstreams.values()].map((upstream) => upstream.pool));
    this.forwarder = new HttpForwarder(this.metrics);
    this.cache = responseCache?.enabled ? new EdgeCache(responseCache) : undefined;
  }

  /**
   * Registers the catch-all route, the request listener ahead of Fastify and the upgrade listener;
   * call before the application initialises, so that every code-first route is seen as it is added.
   */
  register(fastify: FastifyInstance, front: EdgeFront): void {
    const codeFirst = CodeFirstRoutes.following(fastify, (route: RouteOptions) => (route.config as Record<string, unknown> | undefined)?.[CATCH_ALL] === true);
    void fastify.register((scope, _options, done) => {
      // Bodies stream to the upstream untouched: no parser may read them first.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, parsed) => parsed(null));
      scope.setErrorHandler((error, request, reply) => sendProblem(error, request, reply));
      scope.route({ method: METHODS, url: '/*', config: { [CATCH_ALL]: true }, handler: (request, reply) => this.serve(request, reply) });
      done();
    });
    this.serveAhead(fastify.server, codeFirst, front);
    fastify.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      // Another listener (socket.io) serves these; answering them too would corrupt its handshake.
      if (isForeignUpgrade(request.url ?? '/', this.options.foreignUpgradePaths)) return;
      void this.upgrade(request, socket, head);
    });
  }

  /** Closes open WebSocket tunnels; HTTP requests drain with the server. */
  closeTunnels(): void {
    for (const socket of this.tunnels) socket.destroy();
  }

  /**
   * Puts a listener in front of the server's request listeners (Fastify's) that keeps the requests
   * it can serve and passes the rest on untouched, as engine.io does for socket.io's path.
   */
  private serveAhead(server: Server, codeFirst: CodeFirstRoutes, front: EdgeFront): void {
    const behind = server.listeners('request') as ((request: IncomingMessage, response: ServerResponse) => void)[];
    server.removeAllListeners('request');
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      let direct: DirectRequest | undefined;
      try {
        direct = this.directRequest(request, codeFirst, front);
      } catch (error) {
        // A request this listener cannot even classify is Fastify's to answer, with its error handling.
        this.logger.error({ err: error, url: request.url }, 'the edge proxy could not route a request; Fastify answers it');
      }
      if (direct) this.serveDirect(request, response, direct, front);
      else for (const listener of behind) listener.call(server, request, response);
    });
  }

  /** The route for `request` when it is a route-file request that no code-first route covers. */
  private directRequest(request: IncomingMessage, codeFirst: CodeFirstRoutes, front: EdgeFront): DirectRequest | undefined {
    const live = this.registry.live;
    if (live.table.routes.length === 0 || front.needsFastify(request)) return undefined;
    const method = request.method ?? 'GET';
    if (!FORWARDED_METHODS.has(method)) return undefined;
    const url = front.rewriteUrl(request);
    // Read from the forwarding headers only when needed: most requests to code-first routes match no route.
    let client: ReturnType<typeof clientOrigin> | undefined;
    const clientOf = () => (client ??= clientOrigin(request, this.options.trustProxy));
    const candidate = new PendingRouteRequest(method, url, () => hostnameOf(clientOf().origin.host), request.headers);
    const match = live.table.match(candidate);
    if (!match || !wellEncoded(candidate.path) || codeFirst.covers(method, candidate.path, request.headers.host)) return undefined;
    return { live, match, url, ...clientOf() };
  }

  /** Answers a request kept from Fastify; every failure becomes a problem+json answer, never a throw. */
  private serveDirect(request: IncomingMessage, response: ServerResponse, direct: DirectRequest, front: EdgeFront): void {
    const { url, origin } = direct;
    const requestId = requestIdFor(request.headers[REQUEST_ID_HEADER]);
    const exchange = new DirectExchange(request, response, url, requestId, direct.ip, origin, {
      ...front.responseHeaders(origin.proto === 'https'),
      [REQUEST_ID_HEADER]: requestId,
    });
    response.once('close', () =>
      recordRequest(this.appMetrics, {
        requestId,
        method: exchange.method,
        url,
        route: exchange.route ?? UNMATCHED_ROUTE,
        statusCode: response.statusCode,
        elapsedMs: performance.now() - exchange.started,
      }),
    );
    this.proxy(exchange, direct.live, direct.match).catch((error: unknown) =>
      writeProblem(error, { requestId, instance: pathOf(url) }, response, exchange.takeOver()),
    );
  }

  /** The catch-all route: requests CORS applies to, and those that match no route (404, 405). */
  private async serve(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const live = this.registry.live;
    const candidate = new PendingRouteRequest(request.method, request.url, () => request.hostname, request.headers);
    const match = live.table.match(candidate);
    if (!match) return this.unmatched(candidate, live.table.allowedMethods(candidate), reply);
    await this.proxy(fastifyExchange(request, reply), live, match);
    return reply;
  }

  /** Authenticates, limits and forwards one request; throws a problem for anything that answers before the upstream does. */
  private async proxy(exchange: EdgeExchange, live: LiveRoutes, match: RouteMatch): Promise<void> {
    const { request, response, method, url } = exchange;
    const spec = match.route.spec;
    exchange.label(`route:${match.route.id}`);
    // Public routes and recently verified tokens skip the await: fewer promises on the hot path.
    const principal = spec.auth.public ? undefined : (this.recall(spec, request.headers.authorization) ?? (await this.authorize(spec, request.headers.authorization)));
    const limits = match.route.rateLimits ?? this.limiter.defaultLimits;
    if (limits.policies.length > 0) {
      exchange.setHeaders(await this.limiter.enforce(limits, limitSubject(match, exchange.ip, principal, request.headers['x-api-key'])));
    }
    const bodyLimitBytes = spec.bodyLimitBytes ?? this.options.bodyLimitBytes;
    const declared = request.headers['content-length'];
    if (declared !== undefined && Number(declared) > bodyLimitBytes) {
      throw new ProblemException({
        status: 413,
        slug: 'payload-too-large',
        title: 'Payload too large',
        detail: `the request body exceeds the limit of ${bodyLimitBytes} bytes`,
      });
    }
    const name = chooseUpstream(spec);
    const upstream = live.upstreams.get(name);
    if (!upstream) throw notConfigured(name);

    const headers = this.upstreamHeaders(request.headers, exchange.origin, exchange.requestId, principal, spec);
    const path = match.upstreamPath + queryOf(url);
    const timeoutMs = spec.timeoutMs ?? upstream.spec.timeout.requestMs;
    const retryAttempts = spec.retries?.attempts ?? upstream.spec.retries.attempts;
    if (spec.mirror) this.mirror(spec.mirror, live.upstreams, { raw: request, method, path, headers, clientKey: exchange.ip, timeoutMs });

    const aborted = new AbortController();
    response.once('close', () => {
      if (!response.writableFinished) aborted.abort();
    });
    const responseRules = spec.headers.response;
    const call: UpstreamCall = (sink, abort) =>
      this.forwarder.forward(
        upstream,
        {
          raw: request,
          method,
          path,
          headers,
          host: exchange.origin.host,
          clientKey: exchange.ip,
          timeoutMs,
          retryAttempts,
          retryNonIdempotent: spec.retries?.nonIdempotent ?? false,
          bodyLimitBytes,
          abort,
        },
        sink,
      );
    const client: ClientResponse = {
      headers: (upstreamHeaders) => {
        const responseHeaders = endToEndHeaders(upstreamHeaders, NOTHING_OWNED);
        applyHeaderRules(responseHeaders, responseRules);
        return responseHeaders;
      },
      open: (statusCode, responseHeaders) => {
        // The body streams straight into the Node response, without a Readable in between.
        response.writeHead(statusCode, { ...exchange.takeOver(), ...responseHeaders });
        return response;
      },
    };
    try {
      // Cached answers only after authentication (above): a hit never reaches the upstream.
      const policy = match.route.cache;
      if (policy && this.cache && (method === 'GET' || method === 'HEAD')) {
        await this.cache.serve(policy, exchange, principal?.sub, call, aborted, client);
      } else {
        await call((statusCode, upstreamHeaders) => client.open(statusCode, client.headers(upstreamHeaders)), aborted);
      }
    } catch (error) {
      if (!(error instanceof ResponseInterrupted)) throw error;
      // A client that left mid-body is routine; an upstream that broke off is worth a warning.
      const log = { err: error.cause, requestId: exchange.requestId, route: match.route.id };
      if (aborted.signal.aborted) this.logger.debug(log, error.message);
      else this.logger.warn(log, error.message);
      response.destroy();
    }
  }

  private unmatched(candidate: RouteRequest, allowed: string[], reply: FastifyReply): FastifyReply {
    if (allowed.length === 0) {
      reply.callNotFound();
      return reply;
    }
    throw new ProblemException({
      status: 405,
      slug: 'method-not-allowed',
      title: 'Method not allowed',
      detail: `${candidate.method} is not allowed on ${candidate.path}`,
      headers: { allow: allowed.join(', ') },
    });
  }

  /** A recently verified token's principal, roles checked; undefined when the token must be verified. */
  private recall(spec: RouteSpec, authorization: string | undefined): Principal | undefined {
    const principal = this.verifier.recall(authorization);
    if (principal) requireAnyRole(principal, spec.auth.roles);
    return principal;
  }

  private async authorize(spec: RouteSpec, authorization: string | undefined): Promise<Principal | undefined> {
    if (spec.auth.public) return undefined;
    const principal = await this.verifier.authenticate(authorization);
    requireAnyRole(principal, spec.auth.roles);
    return principal;
  }

  private upstreamHeaders(
    incoming: IncomingMessage['headers'],
    origin: ClientOrigin,
    requestId: string,
    principal: Principal | undefined,
    spec: RouteSpec,
  ): HeaderMap {
    const headers = endToEndHeaders(incoming, GATEWAY_OWNED);
    Object.assign(headers, forwardingHeaders(origin));
    headers[REQUEST_ID_HEADER] = requestId;
    if (principal) {
      headers['x-portico-sub'] = principal.sub;
      headers['x-portico-roles'] = principal.roles.join(' ');
    }
    applyHeaderRules(headers, spec.headers.request);
    return headers;
  }

  private mirror(
    mirror: NonNullable<RouteSpec['mirror']>,
    upstreams: ReadonlyMap<string, HttpUpstream>,
    request: { raw: IncomingMessage; method: Dispatcher.HttpMethod; path: string; headers: HeaderMap; clientKey: string; timeoutMs: number },
  ): void {
    // A streamed body can be read once; teeing it would tie the client's pace to the shadow's.
    if (hasRequestBody(request.raw) || Math.random() * 100 >= mirror.percent) return;
    const upstream = upstreams.get(mirror.upstream);
    if (!upstream) return;
    this.forwarder.mirror(upstream, { ...request, host: undefined, retryAttempts: 0, retryNonIdempotent: false, bodyLimitBytes: 0 });
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const requestId = requestIdFor(request.headers[REQUEST_ID_HEADER]);
    const { url, token } = splitAccessToken(request.url ?? '/');
    const instance = pathOf(url);
    const refuse = (error: unknown) => {
      const { problem, headers } = toProblemResponse(error, { requestId, instance });
      refuseUpgrade(socket, problem, { ...headers, [REQUEST_ID_HEADER]: requestId });
    };
    socket.on('error', () => socket.destroy());
    try {
      const live = this.registry.live;
      // The host a route matches on is the one HTTP requests match on: forwarded by a trusted proxy, or the Host header.
      const { ip, origin } = clientOrigin(request, this.options.trustProxy);
      const match: RouteMatch | undefined = live.table.match(new PendingRouteRequest('GET', url, () => hostnameOf(origin.host), request.headers));
      if (!match?.route.spec.websocket) {
        throw new ProblemException({ status: 404, slug: 'not-found', title: 'Not found', detail: `no WebSocket route for ${instance}` });
      }
      const spec = match.route.spec;
      const principal = await this.authorize(spec, request.headers.authorization ?? (token === undefined ? undefined : `Bearer ${token}`));
      const limits = match.route.rateLimits ?? this.limiter.defaultLimits;
      // An upgrade is one request against the route's budget; the messages that follow are not counted.
      if (limits.policies.length > 0) await this.limiter.enforce(limits, limitSubject(match, ip, principal, request.headers['x-api-key']));
      const name = chooseUpstream(spec);
      const upstream = live.upstreams.get(name);
      if (!upstream) throw notConfigured(name);
      const headers = this.upstreamHeaders(request.headers, origin, requestId, principal, spec);
      const target = upstream.pool.pick({ key: ip, prefer: upstream.prefer });
      const lease = target && upstream.pool.acquire(target);
      if (!target || !lease) {
        throw new ProblemException({
          status: 503,
          slug: 'upstream-unavailable',
          title: 'Service unavailable',
          detail: `${name} has no available target`,
          headers: { 'retry-after': String(Math.max(1, Math.ceil(upstream.pool.retryAfterMs() / 1000))) },
        });
      }
      const routeId = match.route.id;
      const opened = await openWebSocketTunnel(
        upstream.endpoint(target),
        { path: match.upstreamPath + queryOf(url), headers, connectTimeoutMs: upstream.spec.timeout.connectMs },
        socket,
        head,
        lease,
        () => {
          this.tunnels.delete(socket);
          this.metrics.tunnelClosed(routeId);
        },
      );
      if (!opened) return;
      // 'close' events are emitted asynchronously, so the tunnel is tracked before onClose can run.
      this.tunnels.add(socket);
      this.metrics.tunnelOpened(routeId);
      this.logger.log({ requestId, route: routeId, upstream: name }, 'websocket tunnel opened');
    } catch (error) {
      if (error instanceof ProblemException) refuse(error);
      else refuse(classifyForwardFailure(error, 'the upstream').problem());
    }
  }
}
