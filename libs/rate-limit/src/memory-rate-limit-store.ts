import type { RateLimitPolicy } from './rate-limit-policy.js';
import type { RateLimitDecision, RateLimitStore } from './rate-limit-store.js';

type State =
  | { kind: 'fixed-window'; start: number; count: number }
  | { kind: 'sliding-window'; log: number[] }
  | { kind: 'token-bucket'; tokens: number; at: number };

interface Entry {
  state: State;
  expiresAt: number;
}

const SWEEP_EVERY = 1_024;

/**
 * The same three algorithms as the Lua scripts, in process: the store without REDIS_URL, and the
 * fail-open fallback while Redis is down. The clock is injected so specs step time exactly.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly entries = new Map<string, Entry>();
  private calls = 0;

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.entries.size;
  }

  consume(key: string, policy: RateLimitPolicy, commit: boolean): Promise<RateLimitDecision> {
    return Promise.resolve(this.consumeNow(key, policy, commit));
  }

  consumeNow(key: string, policy: RateLimitPolicy, commit: boolean): RateLimitDecision {
    const now = this.now();
    if (++this.calls % SWEEP_EVERY === 0) this.sweep(now);
    const stored = this.entries.get(key);
    const entry = stored && stored.expiresAt > now && stored.state.kind === policy.algorithm ? stored : undefined;
    switch (policy.algorithm) {
      case 'fixed-window':
        return this.fixedWindow(key, policy, now, entry?.state as Extract<State, { kind: 'fixed-window' }> | undefined, commit);
      case 'sliding-window':
        return this.slidingWindow(key, policy, now, entry?.state as Extract<State, { kind: 'sliding-window' }> | undefined, commit);
      case 'token-bucket':
        return this.tokenBucket(key, policy, now, entry?.state as Extract<State, { kind: 'token-bucket' }> | undefined, commit);
    }
  }

  private fixedWindow(
    key: string,
    { limit, windowMs }: RateLimitPolicy,
    now: number,
    state: Extract<State, { kind: 'fixed-window' }> | undefined,
    commit: boolean,
  ): RateLimitDecision {
    const start = now - (now % windowMs);
    const count = state?.start === start ? state.count : 0;
    const resetMs = start + windowMs - now;
    if (count >= limit) return { allowed: false, limit, remaining: 0, resetMs, retryAfterMs: resetMs };
    if (commit) this.entries.set(key, { state: { kind: 'fixed-window', start, count: count + 1 }, expiresAt: start + windowMs });
    return { allowed: true, limit, remaining: limit - count - 1, resetMs, retryAfterMs: 0 };
  }

  private slidingWindow(
    key: string,
    { limit, windowMs }: RateLimitPolicy,
    now: number,
    state: Extract<State, { kind: 'sliding-window' }> | undefined,
    commit: boolean,
  ): RateLimitDecision {
    // Exact: one timestamp per allowed request; a request counts while it is younger than the window.
    const log = (state?.log ?? []).filter((at) => at > now - windowMs);
    if (log.length >= limit) {
      const retryAfterMs = (log[0] as number) + windowMs - now;
      this.entries.set(key, { state: { kind: 'sliding-window', log }, expiresAt: now + retryAfterMs + windowMs });
      return { allowed: false, limit, remaining: 0, resetMs: retryAfterMs, retryAfterMs };
    }
    if (commit) log.push(now);
    this.entries.set(key, { state: { kind: 'sliding-window', log }, expiresAt: now + windowMs });
    const oldest = log[0] ?? now;
    return { allowed: true, limit, remaining: limit - log.length - (commit ? 0 : 1), resetMs: oldest + windowMs - now, retryAfterMs: 0 };
  }

  private tokenBucket(
    key: string,
    { limit, windowMs, burst }: RateLimitPolicy,
    now: number,
    state: Extract<State, { kind: 'token-bucket' }> | undefined,
    commit: boolean,
  ): RateLimitDecision {
    const perMs = limit / windowMs;
    const tokens = state ? Math.min(burst, state.tokens + (now - state.at) * perMs) : burst;
    if (tokens < 1) {
      const retryAfterMs = Math.ceil((1 - tokens) / perMs);
      return { allowed: false, limit: burst, remaining: 0, resetMs: Math.ceil((burst - tokens) / perMs), retryAfterMs };
    }
    const left = tokens - 1;
    if (commit) this.entries.set(key, { state: { kind: 'token-bucket', tokens: left, at: now }, expiresAt: now + Math.ceil((burst - left) / perMs) });
    return { allowed: true, limit: burst, remaining: Math.floor(left), resetMs: Math.ceil((burst - left) / perMs), retryAfterMs: 0 };
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
