import type { Target } from '../target.js';
import type { Balancer } from './balancer.js';

/**
 * nginx's smooth weighted round-robin: every pick raises each candidate's running score by its
 * weight and lowers the winner's by the total, so each cycle serves exact shares while a heavy
 * target's turns are spread out (weights 1 and 3 give b a b b) rather than sent in a burst.
 * An unavailable target sits out with its score frozen, as in nginx.
 */
export class WeightedRoundRobinBalancer implements Balancer {
  /** Weak, so targets dropped from the pool take their scores with them. */
  private readonly scores = new WeakMap<Target, number>();

  pick(candidates: readonly Target[]): Target {
    let total = 0;
    let best = candidates[0]!;
    let bestScore = -Infinity;
    for (const target of candidates) {
      const score = (this.scores.get(target) ?? 0) + target.weight;
      this.scores.set(target, score);
      total += target.weight;
      if (score > bestScore) {
        best = target;
        bestScore = score;
      }
    }
    this.scores.set(best, bestScore - total);
    return best;
  }
}
