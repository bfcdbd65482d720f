import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/seeded-random.js';
import { countByAddress, targetAt } from '../testing/targets.js';
import { PowerOfTwoChoicesBalancer } from './power-of-two-choices.js';

describe('PowerOfTwoChoicesBalancer', () => {
  it('sends each call to the less loaded of two random targets', () => {
    const targets = [targetAt('idle'), targetAt('busy', { inFlight: 5 }), targetAt('busiest', { inFlight: 10 })];
    const balancer = new PowerOfTwoChoicesBalancer(seededRandom(3));
    const counts = countByAddress(Array.from({ length: 9_000 }, () => balancer.pick(targets)));
    // The busiest target always loses; the idle one wins the two pairs it is drawn into (2 of 3).
    expect(counts.busiest).toBeUndefined();
    expect(counts.idle).toBeGreaterThan(5_500);
    expect(counts.idle).toBeLessThan(6_500);
  });

  it('always draws two distinct targets', () => {
    const targets = [targetAt('idle'), targetAt('busy', { inFlight: 1 })];
    const balancer = new PowerOfTwoChoicesBalancer(seededRandom(5));
    const picks = Array.from({ length: 1_000 }, () => balancer.pick(targets).address);
    expect(new Set(picks)).toEqual(new Set(['idle']));
  });

  it('weighs the load by the target weight', () => {
    const targets = [targetAt('small', { inFlight: 2, weight: 1 }), targetAt('large', { inFlight: 4, weight: 4 })];
    const balancer = new PowerOfTwoChoicesBalancer(seededRandom(9));
    expect(balancer.pick(targets).address).toBe('large');
  });

  it('takes the only target there is', () => {
    const only = targetAt('only', { inFlight: 100 });
    expect(new PowerOfTwoChoicesBalancer(seededRandom(1)).pick([only])).toBe(only);
  });
});
