import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/seeded-random.js';
import { countByAddress, targetAt } from '../testing/targets.js';
import { RandomBalancer } from './random.js';

describe('RandomBalancer', () => {
  it('draws targets in proportion to their weights', () => {
    const targets = [targetAt('a', { weight: 1 }), targetAt('b', { weight: 3 })];
    const balancer = new RandomBalancer(seededRandom(7));
    const counts = countByAddress(Array.from({ length: 10_000 }, () => balancer.pick(targets)));
    expect(counts.a).toBeGreaterThan(2_200);
    expect(counts.a).toBeLessThan(2_800);
    expect(counts.b).toBe(10_000 - (counts.a ?? 0));
  });

  it('covers every target at equal weights', () => {
    const targets = ['a', 'b', 'c', 'd'].map((address) => targetAt(address));
    const balancer = new RandomBalancer(seededRandom(11));
    const counts = countByAddress(Array.from({ length: 10_000 }, () => balancer.pick(targets)));
    for (const address of ['a', 'b', 'c', 'd']) {
      expect(counts[address]).toBeGreaterThan(2_200);
      expect(counts[address]).toBeLessThan(2_800);
    }
  });

  it('stays within the targets at the very top of the random range', () => {
    const targets = [targetAt('a', { weight: 0.1 }), targetAt('b', { weight: 0.2 })];
    expect(new RandomBalancer(() => 1 - Number.EPSILON).pick(targets).address).toBe('b');
  });
});
