import type { Target } from '../target.js';

/** Chooses among targets that may all take a request now: the pool has already left out the rest. */
export interface Balancer {
  /** `candidates` is never empty. `key` identifies the client, for balancers that keep a client on one target. */
  pick(candidates: readonly Target[], key: string | undefined): Target;
}

/** Calls in flight per unit of weight: a target of weight 2 is as loaded with 2 calls as one of weight 1 with 1. */
export function weightedLoad(target: Target): number {
  return target.inFlight / target.weight;
}
