import type { Target } from '../target.js';
import { weightedLoad, type Balancer } from './balancer.js';

/** The target with the fewest calls in flight for its weight. */
export class LeastConnectionsBalancer implements Balancer {
  private turn = 0;

  pick(candidates: readonly Target[]): Target {
    // Scanning from a rotating start sends ties (at low traffic, every target idle) round-robin
    // instead of always to the first target.
    const start = this.turn++ % candidates.length;
    let best = candidates[start]!;
    for (let step = 1; step < candidates.length; step++) {
      const target = candidates[(start + step) % candidates.length]!;
      if (weightedLoad(target) < weightedLoad(best)) best = target;
    }
    return best;
  }
}
