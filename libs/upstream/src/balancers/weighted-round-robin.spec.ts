import { describe, expect, it } from 'vitest';
import { countByAddress, targetAt } from '../testing/targets.js';
import { WeightedRoundRobinBalancer } from './weighted-round-robin.js';

describe('WeightedRoundRobinBalancer', () => {
  it('spreads a heavy target over the cycle instead of serving it in a burst', () => {
    const targets = [targetAt('a', { weight: 1 }), targetAt('b', { weight: 3 })];
    const balancer = new WeightedRoundRobinBalancer();
    const picks = Array.from({ length: 8 }, () => balancer.pick(targets).address);
    expect(picks).toEqual(['b', 'a', 'b', 'b', 'b', 'a', 'b', 'b']);
  });

  it("gives nginx's smooth sequence for weights 5, 1, 1", () => {
    const targets = [targetAt('a', { weight: 5 }), targetAt('b', { weight: 1 }), targetAt('c', { weight: 1 })];
    const balancer = new WeightedRoundRobinBalancer();
    const picks = Array.from({ length: 7 }, () => balancer.pick(targets).address);
    expect(picks).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });

  it('serves exact shares over every cycle', () => {
    const targets = [targetAt('a', { weight: 2 }), targetAt('b', { weight: 3 }), targetAt('c', { weight: 5 })];
    const balancer = new WeightedRoundRobinBalancer();
    for (let cycle = 0; cycle < 5; cycle++) {
      const picks = Array.from({ length: 10 }, () => balancer.pick(targets));
      expect(countByAddress(picks)).toEqual({ a: 2, b: 3, c: 5 });
    }
  });

  it('shares exactly among the targets left when one sits out', () => {
    const [a, b, c] = [targetAt('a', { weight: 1 }), targetAt('b', { weight: 2 }), targetAt('c', { weight: 4 })];
    const balancer = new WeightedRoundRobinBalancer();
    balancer.pick([a, b, c]);
    const picks = Array.from({ length: 30 }, () => balancer.pick([a, b]));
    expect(countByAddress(picks)).toEqual({ a: 10, b: 20 });
  });
});
