import { describe, expect, it } from 'vitest';
import type { Target } from '../target.js';
import { seededRandom } from '../testing/seeded-random.js';
import { countByAddress, targetAt } from '../testing/targets.js';
import { IpHashBalancer } from './ip-hash.js';
import { RandomBalancer } from './random.js';

const clientKeys = Array.from({ length: 10_000 }, (_, index) => `10.${index >> 16}.${(index >> 8) & 255}.${index & 255}`);
const upstreams = (count: number) => Array.from({ length: count }, (_, index) => targetAt(`10.1.0.${index + 1}:8080`));

function assignments(balancer: IpHashBalancer, targets: readonly Target[]): string[] {
  return clientKeys.map((key) => balancer.pick(targets, key).address);
}

describe('IpHashBalancer', () => {
  const balancer = new IpHashBalancer(new RandomBalancer(seededRandom(1)));

  it('keeps a client on the same target', () => {
    const targets = upstreams(4);
    expect(assignments(balancer, targets)).toEqual(assignments(balancer, targets));
  });

  it('spreads clients evenly', () => {
    const counts = countByAddress(clientKeys.map((key) => balancer.pick(upstreams(4), key)));
    for (const count of Object.values(counts)) {
      expect(count).toBeGreaterThan(2_200);
      expect(count).toBeLessThan(2_800);
    }
  });

  it('moves only about 1/5 of the clients, all onto the new target, when a fifth target joins four', () => {
    const before = assignments(balancer, upstreams(4));
    const after = assignments(balancer, upstreams(5));
    const moved = after.filter((address, index) => address !== before[index]);
    expect(moved.length / clientKeys.length).toBeLessThan(0.3);
    expect(moved.length / clientKeys.length).toBeGreaterThan(0.1);
    expect(new Set(moved)).toEqual(new Set(['10.1.0.5:8080']));
  });

  it('hands the clients of a missing target to their next-best target and leaves the others where they were', () => {
    const targets = upstreams(4);
    const before = assignments(balancer, targets);
    const after = assignments(
      balancer,
      targets.filter((target) => target.address !== '10.1.0.2:8080'),
    );
    after.forEach((address, index) => {
      if (before[index] !== '10.1.0.2:8080') expect(address).toBe(before[index]);
    });
    expect(new Set(after)).toEqual(new Set(['10.1.0.1:8080', '10.1.0.3:8080', '10.1.0.4:8080']));
  });

  it('gives clients to targets in proportion to their weights', () => {
    const targets = [targetAt('10.1.0.1:8080', { weight: 1 }), targetAt('10.1.0.2:8080', { weight: 3 })];
    const counts = countByAddress(clientKeys.map((key) => balancer.pick(targets, key)));
    expect(counts['10.1.0.1:8080']).toBeGreaterThan(2_200);
    expect(counts['10.1.0.1:8080']).toBeLessThan(2_800);
  });

  it('draws at random when there is no key', () => {
    const targets = upstreams(4);
    const counts = countByAddress(Array.from({ length: 4_000 }, () => balancer.pick(targets, undefined)));
    expect(Object.keys(counts)).toHaveLength(4);
    for (const count of Object.values(counts)) expect(count).toBeGreaterThan(800);
  });
});
