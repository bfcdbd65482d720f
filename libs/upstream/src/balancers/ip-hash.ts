import type { Target } from '../target.js';
import type { Balancer } from './balancer.js';

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * Keeps a client on one target by hashing its key (the client address), with weighted rendezvous
 * (highest random weight) hashing: every target scores the key and the highest score wins. Adding
 * or removing a target moves only the keys that target wins or won (about 1/n), no ring or virtual
 * nodes to maintain, and when the winner is unavailable the next-best score takes over, because
 * the pool only offers available targets. Without a key it falls back to `withoutKey`.
 */
export class IpHashBalancer implements Balancer {
  constructor(private readonly withoutKey: Balancer) {}

  pick(candidates: readonly Target[], key: string | undefined): Target {
    if (key === undefined) return this.withoutKey.pick(candidates, key);
    const keyHash = fnv1a(key, FNV_OFFSET_BASIS);
    let best = candidates[0]!;
    let bestScore = -Infinity;
    for (const target of candidates) {
      const score = rendezvousScore(keyHash, target);
      if (score > bestScore) {
        best = target;
        bestScore = score;
      }
    }
    return best;
  }
}

/**
 * `-weight / ln(u)` with u uniform in (0, 1) from hash(key, target): the logarithmic method for
 * weighted rendezvous, under which a target wins a share of keys proportional to its weight.
 */
function rendezvousScore(keyHash: number, target: Target): number {
  const hash = fmix32(fnv1a(target.address, keyHash));
  // Half a step off the ends keeps u away from 0 and 1, so the logarithm is finite and negative.
  const unit = (hash + 0.5) / 2 ** 32;
  return -target.weight / Math.log(unit);
}

/** FNV-1a, 32-bit: fast and allocation-free, which matters at one hash per target per request. */
function fnv1a(text: string, seed: number): number {
  let hash = seed;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** MurmurHash3's finaliser: FNV-1a alone leaves similar inputs (10.0.0.1, 10.0.0.2) with similar high bits. */
function fmix32(input: number): number {
  let hash = input;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
