/**
 * Exponential backoff with full jitter: a random delay in [0, min(maxMs, baseMs * 2^(attempt-1))),
 * so clients that failed together do not retry together. `attempt` starts at 1.
 *
 * Cockatiel's ExponentialBackoff with its fullJitterGenerator computes the same delay (floored),
 * but as an iterator walked from the first attempt, with Math.random built in; this is the one
 * line it amounts to, for any attempt and with the randomness injectable.
 */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return random() * Math.min(maxMs, baseMs * 2 ** (attempt - 1));
}
