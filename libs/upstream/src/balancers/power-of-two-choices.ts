import type { Target } from '../target.js';
import { weightedLoad, type Balancer } from './balancer.js';

/**
 * Power of two choices: two distinct targets at random, the less loaded (for its weight) wins.
 * Nearly as even as least-connections, without every gateway instance herding onto the same
 * momentarily idle target.
 */
export class PowerOfTwoChoicesBalancer implements Balancer {
  constructor(private readonly random: () => number) {}

  pick(candidates: readonly Target[]): Target {
    if (candidates.length === 1) return candidates[0]!;
    const first = Math.floor(this.random() * candidates.length);
    // Drawn among the others, so the two are always distinct.
    let second = Math.floor(this.random() * (candidates.length - 1));
    if (second >= first) second++;
    const a = candidates[first]!;
    const b = candidates[second]!;
    return weightedLoad(b) < weightedLoad(a) ? b : a;
  }
}
