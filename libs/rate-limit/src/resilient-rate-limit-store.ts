import { Logger } from '@nestjs/common';
import { MemoryRateLimitStore } from './memory-rate-limit-store.js';
import type { RateLimitMetrics } from './rate-limit.metrics.js';
import type { RateLimitPolicy } from './rate-limit-policy.js';
import type { RateLimitDecision, RateLimitStore } from './rate-limit-store.js';

export type FailureMode = 'fail-open' | 'fail-closed';

/** The shared store could not decide and the gateway is configured to refuse rather than guess. */
export class RateLimitUnavailable extends Error {}

/**
 * The shared store, with a deliberate answer for when it is down. fail-open keeps serving but still
 * bounds a flood with a local limiter (each instance then enforces the limit on its own, so a client
 * spread over N instances gets up to N times the limit); fail-closed refuses with 503. Either way the
 * outage is logged once when it starts and once when it ends, and shows in `rate_limit_degraded`.
 */
export class ResilientRateLimitStore implements RateLimitStore {
  private readonly logger = new Logger('RateLimit');
  private readonly local: MemoryRateLimitStore;
  private degraded = false;

  constructor(
    private readonly shared: RateLimitStore,
    private readonly mode: FailureMode,
    private readonly metrics: RateLimitMetrics,
    now: () => number = Date.now,
  ) {
    this.local = new MemoryRateLimitStore(now);
    metrics.setDegraded(mode, false);
  }

  async consume(key: string, policy: RateLimitPolicy, commit: boolean): Promise<RateLimitDecision> {
    let decision: RateLimitDecision;
    try {
      decision = await this.shared.consume(key, policy, commit);
    } catch (error) {
      this.metrics.storeFailed();
      if (!this.degraded) {
        this.degraded = true;
        this.metrics.setDegraded(this.mode, true);
        const consequence = this.mode === 'fail-open' ? 'limiting on this instance only' : 'refusing limited routes with 503';
        this.logger.warn({ err: error, mode: this.mode }, `rate limit store unavailable: ${consequence}`);
      }
      if (this.mode === 'fail-closed') throw new RateLimitUnavailable('rate limit store unavailable', { cause: error });
      return this.local.consume(key, policy, commit);
    }
    if (this.degraded) {
      this.degraded = false;
      this.metrics.setDegraded(this.mode, false);
      this.logger.log({ mode: this.mode }, 'rate limit store available again');
    }
    return decision;
  }
}
