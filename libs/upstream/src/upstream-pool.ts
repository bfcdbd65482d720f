import { createBalancer, type BalancerKind } from './balancers/balancer-kind.js';
import type { Balancer } from './balancers/balancer.js';
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitStateName } from './circuit-breaker.js';
import { HealthCheck, type ActiveHealthCheckOptions } from './health-check.js';
import { startCall, type Lease } from './lease.js';
import { Target, TargetState, type TargetHealth, type TargetInit } from './target.js';

/** How long to tell clients to wait when nothing says when a target will be back. */
const DEFAULT_RETRY_AFTER_MS = 1000;

export interface UpstreamPoolOptions {
  balancer: BalancerKind;
  /** One breaker per target; absent, targets are never ejected for failing calls. */
  circuitBreaker?: CircuitBreakerOptions;
  /** Absent, targets stay `unknown` (usable) and only the breaker takes them out. */
  healthCheck?: ActiveHealthCheckOptions;
  /** Defaults to Date.now; times the breakers' open periods. */
  clock?: () => number;
  /** Defaults to Math.random; feeds the random, p2c and keyless ip-hash balancers. */
  random?: () => number;
}

export interface PickOptions {
  /** For ip-hash: the client address. */
  key?: string;
  /** Targets this request has already tried. */
  exclude?: ReadonlySet<Target>;
  /** Narrows the choice to matching targets when any of them is available (same zone first), else all. */
  prefer?: (target: Target) => boolean;
}

export type TargetTransition =
  | { kind: 'health'; target: Target; from: TargetHealth; to: TargetHealth }
  | { kind: 'circuit'; target: Target; from: CircuitStateName; to: CircuitStateName };

export type TransitionListener = (event: TargetTransition) => void;

/** A target with what the pool keeps for it; lives as long as its address stays in the pool. */
interface Member {
  /** Replaced by a new object when the weight or metadata change. */
  target: Target;
  readonly state: TargetState;
  readonly healthCheck: HealthCheck | undefined;
}

/**
 * The targets behind one upstream (a route file's upstream, a discovered gRPC service), how calls
 * are spread over them and which of them may take a call now. Transport-free: a target is an
 * address plus state, and the caller reports each call's outcome through its lease.
 */
export class UpstreamPool {
  private members = new Map<string, Member>();
  private list: readonly Target[] = [];
  private readonly balancer: Balancer;
  private readonly clock: () => number;
  private readonly listeners = new Set<TransitionListener>();
  private phase: 'idle' | 'started' | 'closed' = 'idle';

  constructor(
    readonly name: string,
    targets: readonly TargetInit[],
    private readonly options: UpstreamPoolOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.balancer = createBalancer(options.balancer, options.random ?? Math.random);
    this.replaceTargets(targets);
  }

  get targets(): readonly Target[] {
    return this.list;
  }

  /** An available target chosen by the balancer, or undefined when none is available. */
  pick({ key, exclude, prefer }: PickOptions = {}): Target | undefined {
    const usable = this.list.filter((target) => target.available && !exclude?.has(target));
    const preferred = prefer ? usable.filter(prefer) : usable;
    const candidates = preferred.length > 0 ? preferred : usable;
    return candidates.length > 0 ? this.balancer.pick(candidates, key) : undefined;
  }

  /**
   * Starts one call on the target: counts it in flight and takes the circuit's half-open permit if
   * needed. Undefined when the circuit refuses right now, or when the target has left the pool
   * since it was picked.
   */
  acquire(target: Target): Lease | undefined {
    const member = this.members.get(target.address);
    return member && startCall(member.state);
  }

  /** Milliseconds until some target may take calls again (the earliest end of an open period), for Retry-After. */
  retryAfterMs(): number {
    let earliest = Infinity;
    for (const { state } of this.members.values()) {
      // An unhealthy target stays out when its circuit reopens; only a health check brings it back.
      if (state.health === 'unhealthy') continue;
      earliest = Math.min(earliest, state.circuit?.reopensAt() ?? Infinity);
    }
    return earliest === Infinity ? DEFAULT_RETRY_AFTER_MS : Math.max(0, earliest - this.clock());
  }

  /**
   * Replaces the target list. Addresses that stay keep their state (in flight, health, circuit)
   * and, unless their weight or metadata changed, their Target object; new ones start `unknown`;
   * removed ones stop being probed. Calls in flight on a removed target still end normally.
   */
  replaceTargets(targets: readonly TargetInit[]): void {
    // The whole list is checked before anything changes, so a bad reload leaves the pool as it was.
    const next = new Map<string, Member>();
    const renewed: [Member, Target][] = [];
    for (const init of targets) {
      if (next.has(init.address)) throw new Error(`upstream ${this.name}: target ${init.address} is listed twice`);
      const kept = this.members.get(init.address);
      if (kept === undefined) {
        next.set(init.address, this.join(init));
        continue;
      }
      next.set(init.address, kept);
      if (!describes(init, kept.target)) renewed.push([kept, new Target(init, kept.state)]);
    }
    for (const [member, target] of renewed) member.target = target;
    for (const [address, member] of this.members) {
      if (!next.has(address)) member.healthCheck?.stop();
    }
    this.members = next;
    this.list = [...next.values()].map((member) => member.target);
    if (this.phase === 'started') this.startHealthChecks();
  }

  /** Starts active health checks; does nothing without `healthCheck`, when started already, or once closed. */
  start(): void {
    if (this.phase !== 'idle') return;
    this.phase = 'started';
    this.startHealthChecks();
  }

  /** Stops the health checks' timers and aborts probes in progress. Final and idempotent. */
  close(): void {
    this.phase = 'closed';
    for (const member of this.members.values()) member.healthCheck?.stop();
  }

  /** Health and circuit changes, for logs and metrics. Listeners run synchronously and must not throw. */
  onTransition(listener: TransitionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private join(init: TargetInit): Member {
    const { circuitBreaker, healthCheck } = this.options;
    const circuit =
      circuitBreaker &&
      new CircuitBreaker(circuitBreaker, this.clock, (from, to) =>
        this.emit({ kind: 'circuit', target: member.target, from, to }),
      );
    const state = new TargetState(circuit);
    const member: Member = {
      target: new Target(init, state),
      state,
      healthCheck:
        healthCheck &&
        new HealthCheck(
          healthCheck,
          () => member.target,
          (to) => this.judged(member, to),
        ),
    };
    return member;
  }

  private judged(member: Member, to: TargetHealth): void {
    const from = member.state.health;
    if (from === to) return;
    member.state.health = to;
    this.emit({ kind: 'health', target: member.target, from, to });
  }

  /** Starts every health check not yet started (HealthCheck.start is idempotent). */
  private startHealthChecks(): void {
    for (const member of this.members.values()) member.healthCheck?.start();
  }

  private emit(event: TargetTransition): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** Whether `init` describes this very target, so a new list can keep the object (and its identity in `exclude` sets). */
function describes(init: TargetInit, target: Target): boolean {
  const metadata = Object.entries(init.metadata ?? {});
  return (
    (init.weight ?? 1) === target.weight &&
    metadata.length === Object.keys(target.metadata).length &&
    metadata.every(([name, value]) => target.metadata[name] === value)
  );
}
