import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from './rate-limit-policy.js';
import { RateLimitMetrics } from './rate-limit.metrics.js';
import type { RateLimitStore } from './rate-limit-store.js';
import { RateLimitUnavailable, ResilientRateLimitStore } from './resilient-rate-limit-store.js';

const policy = compilePolicy({ limit: 2, window: '1m' }, 'p');

function flakyShared() {
  const shared = { up: true, calls: 0 };
  const store: RateLimitStore = {
    consume: () => {
      shared.calls++;
      return shared.up
        ? Promise.resolve({ allowed: true, limit: 2, remaining: 1, resetMs: 60_000, retryAfterMs: 0 })
        : Promise.reject(new Error('Connection is closed.'));
    },
  };
  return { shared, store };
}

describe('ResilientRateLimitStore', () => {
  it('fail-open: limits locally while the shared store is down, marks the outage, and returns to the shared store', async () => {
    const registry = new Registry();
    const { shared, store } = flakyShared();
    const resilient = new ResilientRateLimitStore(store, 'fail-open', new RateLimitMetrics(registry), () => 0);
    shared.up = false;
    expect((await resilient.consume('k', policy, true)).allowed).toBe(true);
    expect((await resilient.consume('k', policy, true)).allowed).toBe(true);
    expect((await resilient.consume('k', policy, true)).allowed).toBe(false);
    expect(await registry.getSingleMetricAsString('rate_limit_degraded')).toContain('rate_limit_degraded{mode="fail-open"} 1');
    expect(await registry.getSingleMetricAsString('rate_limit_store_failures_total')).toContain('rate_limit_store_failures_total 3');

    shared.up = true;
    expect((await resilient.consume('k', policy, true)).allowed).toBe(true);
    expect(await registry.getSingleMetricAsString('rate_limit_degraded')).toContain('rate_limit_degraded{mode="fail-open"} 0');
  });

  it('fail-closed: refuses to decide while the shared store is down', async () => {
    const registry = new Registry();
    const { shared, store } = flakyShared();
    const resilient = new ResilientRateLimitStore(store, 'fail-closed', new RateLimitMetrics(registry));
    shared.up = false;
    await expect(resilient.consume('k', policy, true)).rejects.toBeInstanceOf(RateLimitUnavailable);
    expect(await registry.getSingleMetricAsString('rate_limit_degraded')).toContain('rate_limit_degraded{mode="fail-closed"} 1');
  });
});
