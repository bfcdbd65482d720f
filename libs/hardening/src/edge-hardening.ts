import compress from '@fastify/compress';
import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import { ProblemException, sendProblem } from '@portico/errors';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { isCompressibleType, type CompressionPolicy } from './compression-policy.js';
import { ANY_ORIGIN, corsEnabled, originMatcher, type CorsPolicy } from './cors-policy.js';
import { API_CSP, documentationCspHook, helmetHeaders, securityHeaders, securityHeadersHook, type SecurityHeadersPolicy } from './security-headers.js';

export interface EdgeHardeningOptions {
  cors: CorsPolicy;
  securityHeaders: SecurityHeadersPolicy;
  compression: CompressionPolicy;
}

/**
 * What the hardening does to a response, for a handler that writes one without Fastify (the edge
 * proxy's requests are served ahead of it): the same security headers, and which requests must go
 * through Fastify after all because CORS applies to them.
 */
export interface EdgeHardening {
  headersFor: (https: boolean) => Readonly<Record<string, string>>;
  corsApplies: (request: IncomingMessage) => boolean;
}

/** A CORS preflight, as opposed to a plain OPTIONS request an API may answer itself. */
function isPreflight(request: Pick<FastifyRequest, 'method' | 'headers'>): boolean {
  return request.method === 'OPTIONS' && request.headers.origin !== undefined && request.headers['access-control-request-method'] !== undefined;
}

/**
 * Per request, so that only a preflight is answered here: any other OPTIONS request goes on to its
 * route (the route table forwards it like any method). An origin the policy refuses gets no CORS
 * headers at all.
 */
function corsOptions(policy: CorsPolicy): FastifyCorsOptions {
  const allowed = originMatcher(policy.origins);
  const any = policy.origins.includes(ANY_ORIGIN);
  const fixed = {
    credentials: policy.credentials,
    methods: [...policy.methods],
    allowedHeaders: [...policy.allowedHeaders],
    exposedHeaders: [...policy.exposedHeaders],
    maxAge: policy.maxAgeSeconds,
    strictPreflight: false,
  };
  return {
    hook: 'onRequest',
    delegator: (request, callback) => {
      const origin = request.headers.origin;
      const allow = allowed(origin) ? (any ? ANY_ORIGIN : origin!) : false;
      callback(null, { ...fixed, origin: allow, preflight: isPreflight(request) });
    },
  };
}

/** A Host no request carries: `.invalid` is reserved for exactly that (RFC 6761). */
const UNREACHABLE_HOST = 'cors-preflight.invalid';

/**
 * @fastify/cors declares `OPTIONS *` only so that preflights match some route; it answers them in
 * its onRequest hook, which Fastify runs for unmatched requests too. That route would collide with
 * the route table's catch-all, which must keep receiving plain OPTIONS requests, so it is given a
 * Host constraint no request meets.
 */
function parkCorsRoute(route: RouteOptions): void {
  if (route.method === 'OPTIONS' && (route.url === '*' || route.url === '/*')) {
    route.constraints = { ...route.constraints, host: UNREACHABLE_HOST };
  }
}

/**
 * A preflight from an origin the policy does not allow is answered here, never forwarded: the
 * gateway owns CORS once it is configured, and an upstream must not be able to widen it.
 */
function refusePreflight(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  if (!isPreflight(request) || reply.sent) {
    done();
    return;
  }
  sendProblem(
    new ProblemException({ status: 403, slug: 'cors-origin-refused', title: 'Forbidden', detail: `origin ${request.headers.origin} is not allowed` }),
    request,
    reply,
  );
}

/**
 * CORS, security headers and response compression for everything the Fastify instance serves:
 * code-first routes, docs, admin, health and the route table's catch-all. Call it before the route
 * table registers and before the application listens. Headers set here reach proxied responses too
 * (the proxy writes `reply.getHeaders()` under the upstream's); compression does not, see
 * docs/hardening.md.
 */
export async function registerEdgeHardening(fastify: FastifyInstance, options: EdgeHardeningOptions): Promise<EdgeHardening> {
  const cors = corsEnabled(options.cors);
  if (cors) {
    fastify.addHook('onRoute', parkCorsRoute);
    await fastify.register(fastifyCors, corsOptions(options.cors));
    fastify.addHook('onRequest', refusePreflight);
  }
  const headers = helmetHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    // Added by the hook, which knows whether the request came over https.
    strictTransportSecurity: false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  const headersFor = securityHeaders(options.securityHeaders, headers);
  fastify.addHook('onRequest', securityHeadersHook(headersFor));
  fastify.addHook('onSend', documentationCspHook(options.securityHeaders.docsPath));
  if (options.compression.enabled) {
    // Awaited: the plugin hooks into each route as it is added (onRoute), so it must be loaded before
    // Nest adds its routes at listen time.
    await fastify.register(compress, {
      global: true,
      encodings: ['br', 'gzip'],
      threshold: options.compression.thresholdBytes,
      customTypes: isCompressibleType,
      // Request bodies stay as sent: proxied ones stream upstream untouched, and inflating them here
      // would let a small compressed body grow past the body limit's intent.
      globalDecompression: false,
    });
  }
  // Only browsers send Origin, and only their requests need CORS headers or a preflight answer.
  return { headersFor, corsApplies: (request) => cors && request.headers.origin !== undefined };
}
