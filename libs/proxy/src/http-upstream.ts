import type { BalancerKind, CircuitBreakerOptions, HealthProbe, Target, TargetInit } from '@portico/upstream';
import { hasLabels, RetryBudget, UpstreamPool } from '@portico/upstream';
import { Pool } from 'undici';

export interface HttpUpstreamSpec {
  /** Absent when the targets arrive later through `replaceTargets` (a discovered service). */
  targets?: readonly { url: string; weight: number; metadata?: Readonly<Record<string, string>> | undefined }[] | undefined;
  /** Targets carrying all these labels are picked while any of them is available. */
  prefer?: Readonly<Record<string, string>> | undefined;
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
export class HttpUpstream<Spec extends HttpUpstreamSpec = HttpUpstreamSpec> {
  readonly pool: UpstreamPool;
  readonly budget: RetryBudget;
  /** `spec.prefer` as a `PickOptions.prefer` predicate. */
  readonly prefer: ((target: Target) => boolean) | undefined;
  private readonly endpoints = new Map<string, TargetEndpoint>();
  /** Pools of targets that left, closing once their in-flight requests end. */
  private readonly retiring = new Set<Promise<void>>();

  constructor(
    readonly name: string,
    readonly spec: Spec,
  ) {
    this.budget = new RetryBudget({
      ratio: spec.retries.budgetRatio,
      minPerSecond: MIN_RETRIES_PER_SECOND,
      windowMs: RETRY_BUDGET_WINDOW_MS,
    });
    const healthCheck = spec.healthCheck;
    this.pool = new UpstreamPool(
      name,
      (spec.targets ?? []).map((target) => ({ address: target.url, weight: target.weight, metadata: target.metadata ?? {} })),
      {
        balancer: spec.balancer,
        ...(spec.circuitBreaker && { circuitBreaker: spec.circuitBreaker }),
        ...(healthCheck && { healthCheck: { ...healthCheck, probe: this.probe(healthCheck.path, healthCheck.timeoutMs) } }),
      },
    );
    this.prefer = spec.prefer && hasLabels(spec.prefer);
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

  /**
   * Swaps the target list (a discovered service changed). Targets that stay keep their state and
   * connections; a target that left is picked no more, and its connection pool closes once its
   * in-flight requests finish, which is when the returned promise resolves.
   */
  async replaceTargets(targets: readonly TargetInit[]): Promise<void> {
    this.pool.replaceTargets(targets);
    const staying = new Set(targets.map((target) => target.address));
    const leaving: Promise<void>[] = [];
    for (const [address, endpoint] of this.endpoints) {
      if (staying.has(address)) continue;
      this.endpoints.delete(address);
      leaving.push(this.retire(endpoint));
    }
    await Promise.all(leaving);
  }

  /** Stops health checks, then closes the connection pools once their in-flight requests finish. */
  async close(): Promise<void> {
    this.pool.close();
    await Promise.all([...[...this.endpoints.values()].map((endpoint) => endpoint.client.close()), ...this.retiring]);
  }

  /** undici's close lets the requests already sent complete before the connections go. */
  private retire(endpoint: TargetEndpoint): Promise<void> {
    const closed = endpoint.client.close().finally(() => this.retiring.delete(closed));
    this.retiring.add(closed);
    return closed;
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
