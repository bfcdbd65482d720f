import type { Balancer } from './balancer.js';
import { IpHashBalancer } from './ip-hash.js';
import { LeastConnectionsBalancer } from './least-connections.js';
import { PowerOfTwoChoicesBalancer } from './power-of-two-choices.js';
import { RandomBalancer } from './random.js';
import { RoundRobinBalancer } from './round-robin.js';
import { WeightedRoundRobinBalancer } from './weighted-round-robin.js';

/** Every balancer a pool can use, e.g. for a config schema's enum. */
export const BALANCER_KINDS = [
  'round-robin',
  'weighted-round-robin',
  'least-connections',
  'random',
  'ip-hash',
  'p2c',
] as const;

export type BalancerKind = (typeof BALANCER_KINDS)[number];

export function createBalancer(kind: BalancerKind, random: () => number): Balancer {
  switch (kind) {
    case 'round-robin':
      return new RoundRobinBalancer();
    case 'weighted-round-robin':
      return new WeightedRoundRobinBalancer();
    case 'least-connections':
      return new LeastConnectionsBalancer();
    case 'random':
      return new RandomBalancer(random);
    case 'ip-hash':
      return new IpHashBalancer(new RandomBalancer(random));
    case 'p2c':
      return new PowerOfTwoChoicesBalancer(random);
  }
}
