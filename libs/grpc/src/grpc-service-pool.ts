import { Metadata, status, type Client } from '@grpc/grpc-js';
import { isGrpcError } from '@portico/errors';
import {
  hasLabels,
  RetryBudget,
  UpstreamPool,
  type BalancerKind,
  type CircuitBreakerOptions,
  type HealthCheckOptions,
  type PickOptions,
  type Target,
  type TargetInit,
  type TransitionListener,
} from '@portico/upstream';
import { verdictFor, worthRetrying } from './call-outcome.js';
import type { GrpcPoolMetrics } from './grpc-pool-metrics.js';
import { InstanceChannel, type ClientConstructor, type MethodSelector } from './instance-channel.js';
import { unaryCall, type CallContext } from './unary-call.js';

export interface GrpcServicePoolOptions {
  /** The discovered name, e.g. `player-service`: label in metrics, logs and readiness. */
  service: string;
  /** Fully qualified name the instances report through grpc.health.v1. */
  healthService: string;
  balancer: BalancerKind;
  healthCheck: HealthCheckOptions;
  circuitBreaker: CircuitBreakerOptions;
  metrics: GrpcPoolMetrics;
  /** Instances matching these labels are chosen first when any is available (the gateway's own zone). */
  prefer?: Readonly<Record<string, string>>;
  clock?: () => number;
}

export interface PoolCallOptions {
  /** Safe to run twice (a read): a call that failed UNAVAILABLE is retried on another instance within the deadline. */
  idempotent?: boolean;
  /** Labels to prefer for this call over the pool's default, e.g. `{ version: '2' }` for a canary. */
  prefer?: Readonly<Record<string, string>>;
}

export interface InstanceSnapshot {
  address: string;
  metadata: Readonly<Record<string, string>>;
  weight: number;
  health: Target['health'];
  circuit: Target['circuit'];
  inFlight: number;
  /** Failed share of the calls of about the last minute. */
  errorRate: number;
}

/**
 * The live instances of one gRPC service: one channel each, calls spread by the shared balancers,
 * instances probed through grpc.health.v1 and taken out by their circuit breaker on failures.
 * A call marked idempotent that fails UNAVAILABLE moves to another instance, inside the same
 * deadline and the retry budget; any other call fails as it is.
 */
export class GrpcServicePool<C extends Client> {
  private readonly pool: UpstreamPool;
  private readonly channels = new Map<string, InstanceChannel<C>>();
  private readonly budget: RetryBudget;
  private readonly clock: () => number;
  private readonly defaultPrefer: ((target: Target) => boolean) | undefined;

  constructor(
    private readonly Constructor: ClientConstructor<C>,
    private readonly options: GrpcServicePoolOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.pool = new UpstreamPool(options.service, [], {
      balancer: options.balancer,
      circuitBreaker: options.circuitBreaker,
      healthCheck: {
        ...options.healthCheck,
        probe: (target, signal) =>
          this.channels.get(target.address)?.serving(options.healthService, signal, options.healthCheck.timeoutMs) ??
          Promise.resolve(false),
      },
      clock: this.clock,
    });
    this.budget = new RetryBudget({ ratio: 0.2, minPerSecond: 5, windowMs: 10_000, clock: this.clock });
    this.defaultPrefer = options.prefer && hasLabels(options.prefer);
    options.metrics.track(this);
  }

  get service(): string {
    return this.options.service;
  }

  get targets(): readonly Target[] {
    return this.pool.targets;
  }

  /** Replaces the instance list: new instances get a channel and a first probe at once, gone ones close when idle. */
  update(instances: readonly TargetInit[]): void {
    const live = new Set(instances.map((instance) => instance.address));
    // Channels first: the pool probes a new target the moment it joins, through its channel.
    for (const address of live) {
      if (!this.channels.has(address)) this.channels.set(address, new InstanceChannel(this.Constructor, address, this.clock));
    }
    this.pool.replaceTargets(instances);
    for (const [address, channel] of this.channels) {
      if (live.has(address)) continue;
      channel.retire();
      this.channels.delete(address);
    }
    this.pool.start();
  }

  async call<Request, Response>(
    select: MethodSelector<C, Request, Response>,
    request: Request,
    context: CallContext,
    options: PoolCallOptions = {},
  ): Promise<Response> {
    const deadlineAt = this.clock() + context.deadlineMs;
    const labels = options.prefer ?? context.prefer;
    const prefer = labels ? hasLabels(labels) : this.defaultPrefer;
    const pick: PickOptions = prefer ? { prefer } : {};
    // Made only once a first choice is refused or fails: most calls never need it.
    let tried: Set<Target> | undefined;
    this.budget.recordRequest();
    for (;;) {
      const target = this.pool.pick(pick);
      const channel = target && this.channels.get(target.address);
      const lease = target && channel && this.pool.acquire(target);
      if (!target || !channel || !lease) {
        if (target && !lease) {
          pick.exclude = tried = (tried ?? new Set()).add(target);
          continue;
        }
        throw noInstance(this.options.service, tried?.size ?? 0);
      }
      const end = channel.begin();
      const started = performance.now();
      try {
        // A retry gets what is left of the caller's budget, never a new one.
        const attempt = pick.exclude ? { ...context, deadlineMs: deadlineAt - this.clock() } : context;
        const response = await unaryCall(channel.method(select), request, attempt);
        lease.succeed();
        channel.stats.record(false);
        this.options.metrics.observe(this.options.service, status.OK, (performance.now() - started) / 1000);
        return response;
      } catch (error) {
        const code = isGrpcError(error) ? (error.code as status) : status.UNKNOWN;
        this.options.metrics.observe(this.options.service, code, (performance.now() - started) / 1000);
        const verdict = verdictFor(code);
        if (verdict === 'failing') lease.fail();
        else if (verdict === 'healthy') lease.succeed();
        else lease.release();
        channel.stats.record(verdict === 'failing');
        const retry =
          options.idempotent === true &&
          worthRetrying(code) &&
          !context.signal?.aborted &&
          deadlineAt - this.clock() > 0 &&
          this.budget.tryRetry();
        if (!retry) throw error;
        pick.exclude = tried = (tried ?? new Set()).add(target);
        this.options.metrics.retried(this.options.service);
      } finally {
        end();
      }
    }
  }

  /** At least one instance answered its last health probe SERVING. */
  serving(): boolean {
    return this.pool.targets.some((target) => target.health === 'healthy' && target.circuit !== 'open');
  }

  snapshot(): InstanceSnapshot[] {
    return this.pool.targets.map((target) => ({
      address: target.address,
      metadata: target.metadata,
      weight: target.weight,
      health: target.health,
      circuit: target.circuit,
      inFlight: target.inFlight,
      errorRate: this.channels.get(target.address)?.stats.errorRate() ?? 0,
    }));
  }

  onTransition(listener: TransitionListener): () => void {
    return this.pool.onTransition(listener);
  }

  close(): void {
    this.pool.close();
    for (const channel of this.channels.values()) channel.close();
    this.channels.clear();
    this.options.metrics.untrack(this);
  }
}

/** Shaped like a grpc-js ServiceError, so the aggregation maps it like any UNAVAILABLE: 503, and no address in the answer. */
function noInstance(service: string, tried: number): Error {
  const details = tried === 0 ? `no available instance of ${service}` : `every available instance of ${service} failed`;
  return Object.assign(new Error(`${status.UNAVAILABLE} UNAVAILABLE: ${details}`), {
    code: status.UNAVAILABLE,
    details,
    metadata: new Metadata(),
  });
}
