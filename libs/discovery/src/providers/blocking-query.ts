/**
 * The rules Consul documents for a blocking-query loop
 * (developer.hashicorp.com/consul/api-docs/features/blocking, "Implementation Details").
 */

/**
 * The `index` to send next, from the one sent and the `X-Consul-Index` answered. An index that
 * went backwards (a restored snapshot, a re-created agent) restarts the loop from 0, or the watch
 * would wait on a future index and miss updates; an index that is not at least 1 is a Consul bug
 * that would turn the loop into a busy loop, so it becomes 1, which always blocks.
 */
export function nextIndex(sent: number, answered: number): number {
  if (!Number.isSafeInteger(answered) || answered <= 0) return 1;
  if (answered < sent) return 0;
  return answered;
}

/**
 * A token bucket in front of the query loop: a burst of two queries goes out at once, then at
 * most one per `intervalMs`. Consul recommends it over a fixed sleep, which would delay every
 * update; this only slows a loop whose result churns faster than the interval.
 */
export class QueryRateLimit {
  private tokens: number;
  private updatedAt: number | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly burst = 2,
  ) {
    this.tokens = burst;
  }

  /** Takes one query's token and returns how long to wait before sending it (0: send now). */
  take(now: number): number {
    if (this.updatedAt !== undefined) this.tokens = Math.min(this.burst, this.tokens + (now - this.updatedAt) / this.intervalMs);
    this.updatedAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil(-this.tokens * this.intervalMs);
  }
}

export interface RetryDelayOptions {
  baseMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with jitter after the `failures`-th failure in a row: half the delay is
 * fixed and half random, so gateways that lost the same agent do not all come back at once.
 */
export function retryDelay(failures: number, { baseMs, maxMs }: RetryDelayOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
