import { describe, expect, it } from 'vitest';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.js';

function budget(options: Partial<RetryBudgetOptions> = {}) {
  let now = 0;
  const retryBudget = new RetryBudget({ ratio: 0.2, minPerSecond: 0, windowMs: 10_000, clock: () => now, ...options });
  return { retryBudget, advance: (ms: number) => (now += ms) };
}

function retriesAllowed(retryBudget: RetryBudget): number {
  let allowed = 0;
  while (retryBudget.tryRetry()) allowed++;
  return allowed;
}

describe('RetryBudget', () => {
  it('allows retries up to the ratio of first attempts in the window', () => {
    const { retryBudget } = budget();
    for (let request = 0; request < 100; request++) retryBudget.recordRequest();
    expect(retriesAllowed(retryBudget)).toBe(20);
  });

  it('grows with traffic as retries are spent', () => {
    const { retryBudget } = budget();
    for (let request = 0; request < 10; request++) retryBudget.recordRequest();
    expect(retriesAllowed(retryBudget)).toBe(2);
    for (let request = 0; request < 5; request++) retryBudget.recordRequest();
    expect(retriesAllowed(retryBudget)).toBe(1);
  });

  it('always allows minPerSecond retries over the window, even without traffic', () => {
    const { retryBudget } = budget({ minPerSecond: 0.5 });
    expect(retriesAllowed(retryBudget)).toBe(5);
    for (let request = 0; request < 10; request++) retryBudget.recordRequest();
    expect(retriesAllowed(retryBudget)).toBe(2);
  });

  it('forgets requests and retries once they fall out of the window', () => {
    const { retryBudget, advance } = budget({ minPerSecond: 0.1 });
    for (let request = 0; request < 50; request++) retryBudget.recordRequest();
    expect(retriesAllowed(retryBudget)).toBe(11);
    advance(9_000);
    expect(retryBudget.tryRetry()).toBe(false);
    advance(1_000);
    expect(retriesAllowed(retryBudget)).toBe(1);
  });
});
