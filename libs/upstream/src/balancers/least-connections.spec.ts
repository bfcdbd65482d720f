import { describe, expect, it } from 'vitest';
import { targetAt } from '../testing/targets.js';
import { LeastConnectionsBalancer } from './least-connections.js';

describe('LeastConnectionsBalancer', () => {
  it('picks the target with the fewest calls in flight for its weight', () => {
    const targets = [
      targetAt('a', { inFlight: 4, weight: 2 }),
      targetAt('b', { inFlight: 3, weight: 1 }),
      targetAt('c', { inFlight: 5, weight: 4 }),
    ];
    const balancer = new LeastConnectionsBalancer();
    for (let pick = 0; pick < 3; pick++) expect(balancer.pick(targets).address).toBe('c');
  });

  it('breaks ties round-robin rather than always taking the first', () => {
    const targets = [targetAt('a'), targetAt('b'), targetAt('c'), targetAt('busy', { inFlight: 1 })];
    const balancer = new LeastConnectionsBalancer();
    const picks = Array.from({ length: 8 }, () => balancer.pick(targets).address);
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'a', 'b', 'c', 'a']);
  });
});
