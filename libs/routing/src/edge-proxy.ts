import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { requireAnyRole, TokenVerifier, type Principal } from '@portico/auth';
import { ResponseCache } from '@portico/cache';
import { ProblemException, sendProblem, toProblemResponse } from '@portico/errors';
import { labelRoute, Metrics, REQUEST_ID_HEADER, requestIdFor } from '@portico/observability';
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
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import proxyAddr from 'proxy-addr';
import type { Dispatcher } from 'undici';
import { EdgeCache, type ClientResponse, type UpstreamCall } from './edge-cache.js';
import { isForeignUpgrade } from './foreign-upgrade.js';
import { RouteRegistry } from './route-registry.js';
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
const METHODS: Dispatcher.HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

function queryOf(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? '' : url.slice(index);
}

function pathOf(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? url : url.slice(0, index);
}

function routeRequest(method: string, url: string, host: string | undefined, headers: IncomingMessage['headers']): RouteRequest {
  let query: URLSearchParams | undefined;
  return {
    method,
    path: pathOf(url),
    host: host?.toLowerCase(),
    header: (name) => {
      const value = headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    get query() {
      query ??= new URLSearchParams(queryOf(url));
      return query;
    },
  };
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

/**
 * Serves the route table: one catch-all Fastify route for HTTP (after every code-first route, which
 * Fastify's router prefers over a wildcard, so they keep precedence) and the server's upgrade event
 * for WebSockets. Requests are authenticated before anything is sent upstream.
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
    metrics: Metrics,
    @Optional() responseCache?: ResponseCache,
  ) {
    this.metrics = new ProxyMetrics(metrics.registry, () => [...registry.live.upstreams.values()].map((upstream) => upstream.pool));
    this.forwarder = new HttpForwarder(this.metrics);
    this.cache = responseCache?.enabled ? new EdgeCache(responseCache) : undefined;
  }

  /** Registers the catch-all route and the upgrade listener; call before the application initialises. */
  register(fastify: FastifyInstance): void {
    void fastify.register((scope, _options, done) => {
      // Bodies stream to the upstream untouched: no parser may read them first.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, parsed) => parsed(null));
      scope.setErrorHandler((error, request, reply) => sendProblem(error, request, reply));
      scope.route({ method: METHODS, url: '/*', handler: (request, reply) => this.serve(request, reply) });
      done();
    });
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

  private async serve(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const live = this.registry.live;
    const candidate = routeRequest(request.method, request.url, request.hostname, request.headers);
    const match = live.table.match(candidate);
    if (!match) return this.unmatched(candidate, live.table.allowedMethods(candidate), reply);
    const spec = match.route.spec;
    labelRoute(request, `route:${match.route.id}`);
    // Public routes skip the await altogether: one promise fewer on the hot path.
    const principal = spec.auth.public ? undefined : await this.authorize(spec, request.headers.authorization);
    const limits = match.route.rateLimits ?? this.limiter.defaultLimits;
    if (limits.policies.length > 0) {
      void reply.headers(await this.limiter.enforce(limits, limitSubject(match, request.ip, principal, request.headers['x-api-key'])));
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

    const origin: ClientOrigin = {
      chain: request.ips ? [...request.ips].reverse() : [request.ip],
      proto: request.protocol,
      host: request.host,
    };
    const headers = this.upstreamHeaders(request.headers, origin, String(request.id), principal, spec);
    const path = match.upstreamPath + queryOf(request.url);
    const method = request.method;
    const timeoutMs = spec.timeoutMs ?? upstream.spec.timeout.requestMs;
    const retryAttempts = spec.retries?.attempts ?? upstream.spec.retries.attempts;
    if (spec.mirror) this.mirror(spec.mirror, live.upstreams, { raw: request.raw, method, path, headers, clientKey: request.ip, timeoutMs });

    const aborted = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) aborted.abort();
    });
    const responseRules = spec.headers.response;
    const call: UpstreamCall = (sink, abort) =>
      this.forwarder.forward(
        upstream,
        {
          raw: request.raw,
          method,
          path,
          headers,
          host: request.host,
          clientKey: request.ip,
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
        // The body streams straight into the Node response, without a Readable in between; Fastify's
        // onResponse hooks (access log, metrics) still run when it finishes.
        reply.hijack();
        reply.raw.writeHead(statusCode, { ...(reply.getHeaders() as HeaderMap), ...responseHeaders });
        return reply.raw;
      },
    };
    try {
      // Cached answers only after authentication (above): a hit never reaches the upstream.
      const policy = match.route.cache;
      if (policy && this.cache && (method === 'GET' || method === 'HEAD')) {
        await this.cache.serve(policy, request, principal?.sub, reply, call, aborted, client);
      } else {
        await call((statusCode, upstreamHeaders) => client.open(statusCode, client.headers(upstreamHeaders)), aborted);
      }
    } catch (error) {
      if (!(error instanceof ResponseInterrupted)) throw error;
      // A client that left mid-body is routine; an upstream that broke off is worth a warning.
      const log = { err: error.cause, requestId: request.id, route: match.route.id };
      if (aborted.signal.aborted) this.logger.debug(log, error.message);
      else this.logger.warn(log, error.message);
      reply.raw.destroy();
    }
    return reply;
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
      const hostname = hostnameOf(request.headers.host);
      const match: RouteMatch | undefined = live.table.match(routeRequest('GET', url, hostname, request.headers));
      if (!match?.route.spec.websocket) {
        throw new ProblemException({ status: 404, slug: 'not-found', title: 'Not found', detail: `no WebSocket route for ${instance}` });
      }
      const spec = match.route.spec;
      const principal = await this.authorize(spec, request.headers.authorization ?? (token === undefined ? undefined : `Bearer ${token}`));
      const trust = this.options.trustProxy;
      const chain = trust ? proxyAddr.all(request, trust).reverse() : [request.socket.remoteAddress ?? 'unknown'];
      const limits = match.route.rateLimits ?? this.limiter.defaultLimits;
      // An upgrade is one request against the route's budget; the messages that follow are not counted.
      if (limits.policies.length > 0) await this.limiter.enforce(limits, limitSubject(match, chain[0] ?? 'unknown', principal, request.headers['x-api-key']));
      const name = chooseUpstream(spec);
      const upstream = live.upstreams.get(name);
      if (!upstream) throw notConfigured(name);
      const encrypted = (request.socket as { encrypted?: boolean }).encrypted === true;
      const origin: ClientOrigin = { chain, proto: encrypted ? 'https' : 'http', host: request.headers.host };
      const headers = this.upstreamHeaders(request.headers, origin, requestId, principal, spec);
      const target = upstream.pool.pick({ key: chain[0] ?? '', prefer: upstream.prefer });
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
