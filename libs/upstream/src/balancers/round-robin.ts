import type { Target } from '../target.js';
import type { Balancer } from './balancer.js';

/** Each target in turn, whatever its weight. */
export class RoundRobinBalancer implements Balancer {
  private turn = 0;

  pick(candidates: readonly Target[]): Target {
    return candidates[this.turn++ % candidates.length]!;
  }
}
