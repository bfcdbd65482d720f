import type { RateLimitPolicy } from './rate-limit-policy.js';

/** One policy's answer for one key. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  /** Requests left after this one (0 when rejected). */
  remaining: number;
  /** Milliseconds until the budget is whole again (window algorithms: until the window frees a slot or resets). */
  resetMs: number;
  /** Milliseconds until a rejected request could pass; 0 when allowed. */
  retryAfterMs: number;
}

/**
 * Counts requests per key. `commit: false` asks without spending (used when a route has several
 * policies, so a request one of them rejects spends none); a rejected request never spends.
 */
export interface RateLimitStore {
  consume(key: string, policy: RateLimitPolicy, commit: boolean): Promise<RateLimitDecision>;
}
