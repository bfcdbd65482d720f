import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { ProblemException } from '@portico/errors';
import { backoffDelayMs, type Lease, type Target, type UpstreamPool } from '@portico/upstream';
import type { Dispatcher } from 'undici';
import { hasRequestBody, limitedBody } from './body-limit.js';
import type { HeaderMap } from './hop-by-hop.js';
import type { HttpUpstream } from './http-upstream.js';
import type { ProxyMetrics } from './proxy-metrics.js';
import { relay } from './relay.js';
import { classifyForwardFailure, type ClassifiedFailure } from './upstream-failure.js';

/** RFC 9110 §9.2.2: repeating these has the same effect as sending them once. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
/** Upstream answers that say "try elsewhere" rather than "this request is wrong". */
const RETRY_ON_STATUS = new Set([502, 503, 504]);

export interface ForwardRequest {
  raw: IncomingMessage;
  method: Dispatcher.HttpMethod;
  /** Path and query to request from the target, before the target's own base path. */
  path: string;
  /** End-to-end headers to send, already transformed; owned by the forwarder, which sets Host per target. */
  headers: HeaderMap;
  /** The client's Host, sent on when the upstream preserves it. */
  host: string | undefined;
  /** Balancing key for ip-hash: the client address. */
  clientKey: string;
  timeoutMs: number;
  retryAttempts: number;
  /** Retry POST and PATCH too (the route declared its handler safe to repeat). */
  retryNonIdempotent: boolean;
  bodyLimitBytes: number;
  /**
   * Aborted by the caller when the client goes away, and by the forwarder when the deadline passes
   * before response headers arrive. Ours rather than undici's headersTimeout, whose timers are only
   * accurate to about a second.
   */
  abort: AbortController;
}

/**
 * Called once the chosen upstream answer's headers arrive: writes the response head and returns where
 * the body goes (for the gateway, the raw Node response). The body is streamed there with backpressure.
 */
export type ResponseSink = (statusCode: number, headers: IncomingHttpHeaders) => Writable;

/** The response failed after its head was sent; the caller can only cut the connection. */
export class ResponseInterrupted extends Error {}

/** The abort reason when the route's deadline passes before response headers arrive. */
class DeadlineExceeded extends Error {
  readonly code = 'PORTICO_DEADLINE';
}

function retryAfter(pool: UpstreamPool): Record<string, string> {
  return { 'retry-after': String(Math.max(1, Math.ceil(pool.retryAfterMs() / 1000))) };
}

function unavailable(pool: UpstreamPool): ProblemException {
  return new ProblemException({
    status: 503,
    slug: 'upstream-unavailable',
    title: 'Service unavailable',
    detail: `${pool.name} has no available target`,
    headers: retryAfter(pool),
  });
}

/**
 * Forwards one request to an upstream: picks a target with the upstream's balancer, streams the body
 * through, and retries on another target where that is safe (no body sent yet, an idempotent method
 * or a route that allows it) and the retry budget has room, all within one deadline.
 */
export class HttpForwarder {
  constructor(private readonly metrics: ProxyMetrics) {}

  /** Resolves when the whole response has been streamed into the sink; rejects with a problem before that. */
  async forward(upstream: HttpUpstream, request: ForwardRequest, sink: ResponseSink): Promise<void> {
    const { abort } = request;
    const deadline = setTimeout(() => abort.abort(new DeadlineExceeded()), request.timeoutMs);
    try {
      await this.attempts(upstream, request, sink, () => clearTimeout(deadline));
    } finally {
      clearTimeout(deadline);
    }
  }

  private async attempts(upstream: HttpUpstream, request: ForwardRequest, sink: ResponseSink, answered: () => void): Promise<void> {
    const { pool, budget, spec } = upstream;
    const signal = request.abort.signal;
    const deadline = performance.now() + request.timeoutMs;
    const bodyless = !hasRequestBody(request.raw);
    // A streamed body is consumed by the first attempt; it cannot be sent twice.
    const canRetry = bodyless && (request.retryNonIdempotent || IDEMPOTENT.has(request.method));
    const maxAttempts = canRetry ? 1 + request.retryAttempts : 1;
    budget.recordRequest();
    const tried = new Set<Target>();
    let lastFailure: ClassifiedFailure | undefined;

    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) {
        this.metrics.retry(upstream.name);
        const pause = Math.min(
          backoffDelayMs(attempt - 1, spec.retries.backoffMs, spec.retries.maxBackoffMs),
          deadline - performance.now() - 1,
        );
        if (pause > 0) await delay(pause, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) break;
      }
      const leased = this.lease(upstream, request.clientKey, tried);
      if (!leased) {
        this.metrics.refused(upstream.name, pool.targets.some((target) => target.circuit === 'open') ? 'circuit_open' : 'no_target');
        if (lastFailure) break;
        throw unavailable(pool);
      }
      const { target, lease } = leased;
      tried.add(target);
      const endpoint = upstream.endpoint(target);
      let status = 0;
      let retrying = false;
      // The headers are the caller's own copy, so only Host changes per target.
      request.headers['host'] = spec.host === 'preserve' ? (request.host ?? endpoint.host) : endpoint.host;
      try {
        await relay(
          endpoint.client,
          {
            method: request.method,
            path: endpoint.basePath + request.path,
            headers: request.headers,
            body: bodyless ? null : limitedBody(request.raw, request.bodyLimitBytes),
            bodyTimeout: request.timeoutMs,
          },
          signal,
          (statusCode, headers) => {
            status = statusCode;
            const outcome = statusCode < 500 ? 'success' : 'http_5xx';
            this.metrics.attempt(upstream.name, target.address, outcome);
            retrying = RETRY_ON_STATUS.has(statusCode) && attempt < maxAttempts && budget.tryRetry();
            if (retrying) return undefined;
            answered();
            return sink(statusCode, headers);
          },
        );
      } catch (error) {
        const aborted = signal.aborted && !(signal.reason instanceof DeadlineExceeded);
        if (status !== 0 && !retrying) {
          // Headers already went to the client: a failure now can only cut the response short.
          if (aborted) lease.release();
          else lease.fail();
          throw new ResponseInterrupted('the upstream response was interrupted', { cause: error });
        }
        // The abort's reason tells a passed deadline (a failure of the target) from a client that left.
        const failure = classifyForwardFailure(signal.aborted ? signal.reason : error, upstream.name);
        if (aborted || failure.outcome === 'cancelled') {
          lease.release();
          this.metrics.attempt(upstream.name, target.address, 'cancelled');
          throw failure.problem();
        }
        lease.fail();
        this.metrics.attempt(upstream.name, target.address, failure.outcome);
        lastFailure = failure;
        if (!(failure.retryable && attempt < maxAttempts && !signal.aborted && budget.tryRetry())) break;
        continue;
      }
      if (status >= 500) lease.fail();
      else lease.succeed();
      if (!retrying) return;
      lastFailure = undefined;
    }
    if (signal.aborted) throw classifyForwardFailure(signal.reason, upstream.name).problem();
    throw lastFailure ? lastFailure.problem() : unavailable(pool);
  }

  /** Sends a shadow copy of a request without a body; its answer and any failure are discarded. */
  mirror(upstream: HttpUpstream, request: Omit<ForwardRequest, 'abort'>): void {
    const leased = this.lease(upstream, request.clientKey, new Set());
    if (!leased) {
      this.metrics.mirror(upstream.name, 'no_target');
      return;
    }
    const endpoint = upstream.endpoint(leased.target);
    endpoint.client
      .request({
        method: request.method,
        path: endpoint.basePath + request.path,
        headers: { ...request.headers, host: endpoint.host },
        headersTimeout: request.timeoutMs,
        bodyTimeout: request.timeoutMs,
      })
      .then(async (response) => {
        await response.body.dump();
        if (response.statusCode >= 500) leased.lease.fail();
        else leased.lease.succeed();
        this.metrics.mirror(upstream.name, response.statusCode >= 500 ? 'http_5xx' : 'success');
      })
      .catch((error: unknown) => {
        leased.lease.fail();
        this.metrics.mirror(upstream.name, classifyForwardFailure(error, upstream.name).outcome);
      });
  }

  private lease(upstream: HttpUpstream, key: string, tried: ReadonlySet<Target>): { target: Target; lease: Lease } | undefined {
    const { pool, prefer } = upstream;
    const refused = new Set(tried);
    // Each pass either leases a target or rules one out, so this ends after at most one pass per target.
    for (let pass = 0; pass <= pool.targets.length; pass++) {
      // Prefer a target this request has not tried yet, but fall back to a tried one rather than fail.
      const target =
        pool.pick({ key, exclude: refused, prefer }) ?? (pass === 0 && tried.size > 0 ? pool.pick({ key, prefer }) : undefined);
      if (!target) return undefined;
      const lease = pool.acquire(target);
      if (lease) return { target, lease };
      refused.add(target);
    }
    return undefined;
  }
}
