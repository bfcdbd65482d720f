import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

/** Requests that matched no route share one label, so scanners cannot blow up the series count. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Records every response in a Fastify onResponse hook rather than a Nest interceptor, so requests
 * that never reach a handler (404s, bad JSON, 413s, auth failures) are counted too.
 */
export function registerHttpMetrics(fastify: FastifyInstance, metrics: Metrics): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    metrics.recordHttp(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
