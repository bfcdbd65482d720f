import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import type { Metrics } from './metrics.js';
import { REQUEST_ID_HEADER } from './request-id.js';

/** Requests that matched no route share one label, so scanners cannot blow up the series count. */
export const UNMATCHED_ROUTE = 'unmatched';

const ROUTE_LABEL = Symbol('portico.routeLabel');
type Labelled = FastifyRequest & { [ROUTE_LABEL]?: string };

/**
 * Names the route a request was served by, for handlers that serve many routes behind one Fastify
 * route (the edge proxy's catch-all): metrics and access logs then tell its routes apart.
 */
export function labelRoute(request: FastifyRequest, label: string): void {
  (request as Labelled)[ROUTE_LABEL] = label;
}

/**
 * Per-request observability as two Fastify hooks rather than Nest middleware and interceptors:
 * requests that never reach a handler (404s, bad JSON, 413s, auth failures) are logged and counted
 * too, and the hot path skips the middie round-trip that nestjs-pino's pino-http middleware takes
 * (measured at about 15% of the gateway's CPU per request).
 *
 * - onRequest echoes the request id in the response header and opens the logging context: every line
 *   logged through Nest's Logger while serving the request carries its `requestId`.
 * - onResponse writes the access log line and records the HTTP metrics.
 */
export function registerHttpObservability(fastify: FastifyInstance, metrics: Metrics, logger: PinoLogger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    logger.runInContext(done, { bindings: { requestId: request.id } });
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    recordRequest(metrics, {
      requestId: String(request.id),
      method: request.method,
      url: request.url,
      route: (request as Labelled)[ROUTE_LABEL] ?? request.routeOptions.url ?? UNMATCHED_ROUTE,
      statusCode: reply.statusCode,
      elapsedMs: reply.elapsedTime,
    });
    done();
  });
}

/** One served request, as the access log and the HTTP metrics record it. */
export interface CompletedRequest {
  requestId: string;
  method: string;
  url: string;
  route: string;
  statusCode: number;
  elapsedMs: number;
}

/**
 * The access log line and the HTTP metrics of a finished request; for the onResponse hook and for
 * handlers that serve requests ahead of Fastify (the edge proxy).
 */
export function recordRequest(metrics: Metrics, request: CompletedRequest): void {
  metrics.recordHttp(request.method, request.route, request.statusCode, request.elapsedMs / 1000);
  // The root logger with the id spelled out: the request's context may or may not still be active here.
  const root = PinoLogger.root;
  if (root.isLevelEnabled('info')) {
    root.info(
      {
        requestId: request.requestId,
        method: request.method,
        url: request.url,
        route: request.route,
        statusCode: request.statusCode,
        responseTime: Math.round(request.elapsedMs),
      },
      'request completed',
    );
  }
}
