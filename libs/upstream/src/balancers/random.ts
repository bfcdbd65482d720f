import type { Target } from '../target.js';
import type { Balancer } from './balancer.js';

/** A target drawn at random, each with a chance proportional to its weight. */
export class RandomBalancer implements Balancer {
  constructor(private readonly random: () => number) {}

  pick(candidates: readonly Target[]): Target {
    let total = 0;
    for (const target of candidates) total += target.weight;
    let point = this.random() * total;
    for (const target of candidates) {
      point -= target.weight;
      if (point < 0) return target;
    }
    // Floating-point rounding can leave the point a hair past the last target.
    return candidates.at(-1)!;
  }
}
