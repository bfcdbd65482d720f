import { describe, expect, it } from 'vitest';
import { targetAt } from '../testing/targets.js';
import { RoundRobinBalancer } from './round-robin.js';

describe('RoundRobinBalancer', () => {
  it('takes each target in turn, ignoring weights', () => {
    const targets = [targetAt('a', { weight: 5 }), targetAt('b'), targetAt('c')];
    const balancer = new RoundRobinBalancer();
    const picks = Array.from({ length: 9 }, () => balancer.pick(targets).address);
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('keeps cycling evenly over whichever targets are offered', () => {
    const [a, b, c] = [targetAt('a'), targetAt('b'), targetAt('c')];
    const balancer = new RoundRobinBalancer();
    const picks = Array.from({ length: 6 }, () => balancer.pick([a, c]).address);
    expect(picks).toEqual(['a', 'c', 'a', 'c', 'a', 'c']);
    expect(balancer.pick([b])).toBe(b);
  });
});
