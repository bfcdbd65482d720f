import type { CircuitBreaker, CircuitStateName } from './circuit-breaker.js';

export interface TargetInit {
  /** Where the transport connects, e.g. `http://10.0.0.7:8080` or `10.0.0.7:50051`; unique within a pool. */
  address: string;
  /** Share of traffic relative to the pool's other targets; defaults to 1. */
  weight?: number;
  /** Labels for routing decisions, e.g. `{ zone: 'eu-west-1a' }`. */
  metadata?: Readonly<Record<string, string>>;
}

/** `unknown` until the first health verdict; it counts as usable, so a pool serves before its first probe returns. */
export type TargetHealth = 'healthy' | 'unhealthy' | 'unknown';

/** What changes on a target as calls and probes come and go. Kept per address, so it survives a new target list. */
export class TargetState {
  inFlight = 0;
  health: TargetHealth = 'unknown';

  constructor(readonly circuit: CircuitBreaker | undefined) {}
}

/** One address an upstream pool sends calls to, as the balancers and the caller see it. */
export class Target {
  readonly address: string;
  readonly weight: number;
  readonly metadata: Readonly<Record<string, string>>;

  constructor(
    init: TargetInit,
    private readonly state: TargetState,
  ) {
    const weight = init.weight ?? 1;
    if (!(weight > 0 && Number.isFinite(weight))) {
      throw new RangeError(`target ${init.address}: weight must be a positive number, got ${weight}`);
    }
    this.address = init.address;
    this.weight = weight;
    this.metadata = Object.freeze({ ...init.metadata });
  }

  get inFlight(): number {
    return this.state.inFlight;
  }

  get health(): TargetHealth {
    return this.state.health;
  }

  get circuit(): CircuitStateName {
    return this.state.circuit?.state ?? 'closed';
  }

  /** True when a request may be sent now: not unhealthy, and the circuit admits one. */
  get available(): boolean {
    return this.state.health !== 'unhealthy' && (this.state.circuit?.admits() ?? true);
  }
}

/** Whether a target carries every one of `labels`, for `PickOptions.prefer` (same zone, same version first). */
export function hasLabels(labels: Readonly<Record<string, string>>): (target: Target) => boolean {
  const wanted = Object.entries(labels);
  return (target) => wanted.every(([name, value]) => target.metadata[name] === value);
}
