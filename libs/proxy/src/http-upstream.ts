import type { BalancerKind, CircuitBreakerOptions, HealthProbe, Target } from '@portico/upstream';
import { RetryBudget, UpstreamPool } from '@portico/upstream';
import { Pool } from 'undici';

export interface HttpUpstreamSpec {
  targets: readonly { url: string; weight: number }[];
  balancer: BalancerKind;
  timeout: { connectMs: number; requestMs: number };
  retries: { attempts: number; backoffMs: number; maxBackoffMs: number; budgetRatio: number };
  circuitBreaker?: CircuitBreakerOptions | undefined;
  healthCheck?:
    | { path: string; intervalMs: number; timeoutMs: number; healthyThreshold: number; unhealthyThreshold: number }
    | undefined;
  maxConnectionsPerTarget: number;
  host: 'upstream' | 'preserve';
}

/** One target's connection pool and where its requests go. */
export interface TargetEndpoint {
  client: Pool;
  /** The target URL's path, prepended to every forwarded path ('' for none). */
  basePath: string;
  /** The Host header the target expects when the upstream does not preserve the client's. */
  host: string;
}

/** Retries may add at most this many per second even when the ratio allows fewer, so quiet upstreams still retry. */
const MIN_RETRIES_PER_SECOND = 5;
const RETRY_BUDGET_WINDOW_MS = 10_000;

/**
 * An HTTP upstream: the balancing and breaker state of its targets (from @portico/upstream) plus a
 * keep-alive undici pool per target.
 */
export class HttpUpstream {
  readonly pool: UpstreamPool;
  readonly budget: RetryBudget;
  private readonly endpoints = new Map<string, TargetEndpoint>();

  constructor(
    readonly name: string,
    readonly spec: HttpUpstreamSpec,
  ) {
    this.budget = new RetryBudget({
      ratio: spec.retries.budgetRatio,
      minPerSecond: MIN_RETRIES_PER_SECOND,
      windowMs: RETRY_BUDGET_WINDOW_MS,
    });
    const healthCheck = spec.healthCheck;
    this.pool = new UpstreamPool(
      name,
      spec.targets.map((target) => ({ address: target.url, weight: target.weight })),
      {
        balancer: spec.balancer,
        ...(spec.circuitBreaker && { circuitBreaker: spec.circuitBreaker }),
        ...(healthCheck && { healthCheck: { ...healthCheck, probe: this.probe(healthCheck.path, healthCheck.timeoutMs) } }),
      },
    );
  }

  endpoint(target: Target): TargetEndpoint {
    let endpoint = this.endpoints.get(target.address);
    if (!endpoint) {
      const url = new URL(target.address);
      endpoint = {
        client: new Pool(url.origin, {
          connections: this.spec.maxConnectionsPerTarget,
          connect: { timeout: this.spec.timeout.connectMs },
          keepAliveTimeout: 30_000,
        }),
        basePath: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''),
        host: url.host,
      };
      this.endpoints.set(target.address, endpoint);
    }
    return endpoint;
  }

  start(): void {
    this.pool.start();
  }

  /** Stops health checks, then closes the connection pools once their in-flight requests finish. */
  async close(): Promise<void> {
    this.pool.close();
    await Promise.all([...this.endpoints.values()].map((endpoint) => endpoint.client.close()));
  }

  private probe(path: string, timeoutMs: number): HealthProbe {
    return async (target, signal) => {
      const { client, basePath } = this.endpoint(target);
      const response = await client.request({
        method: 'GET',
        path: basePath + path,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await response.body.dump();
      return response.statusCode >= 200 && response.statusCode < 400;
    };
  }
}
