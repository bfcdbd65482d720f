import { describe, expect, it } from 'vitest';
import { nextIndex, QueryRateLimit, retryDelay } from './blocking-query.js';

describe('nextIndex', () => {
  it('blocks on the index Consul answered when it moved forward or stayed', () => {
    expect(nextIndex(0, 42)).toBe(42);
    expect(nextIndex(42, 42)).toBe(42);
    expect(nextIndex(42, 57)).toBe(57);
  });

  it('restarts the loop from 0 when the index goes backwards', () => {
    expect(nextIndex(57, 12)).toBe(0);
  });

  it('never sends an index below 1 after an answer, which would not block', () => {
    expect(nextIndex(0, 0)).toBe(1);
    expect(nextIndex(57, 0)).toBe(1);
    expect(nextIndex(57, -3)).toBe(1);
    expect(nextIndex(57, NaN)).toBe(1);
  });
});

describe('QueryRateLimit', () => {
  it('lets a burst of two through at once, then spaces queries by the interval', () => {
    const limit = new QueryRateLimit(1_000);
    expect(limit.take(0)).toBe(0);
    expect(limit.take(0)).toBe(0);
    expect(limit.take(0)).toBe(1_000);
    // The caller waited the second out and its answer came back at once.
    expect(limit.take(1_000)).toBe(1_000);
  });

  it('does not slow a loop whose answers come slower than the interval', () => {
    const limit = new QueryRateLimit(1_000);
    for (let now = 0; now < 20_000; now += 1_500) expect(limit.take(now)).toBe(0);
  });

  it('refills up to the burst only, however long the loop was quiet', () => {
    const limit = new QueryRateLimit(1_000);
    limit.take(0);
    expect(limit.take(60_000)).toBe(0);
    expect(limit.take(60_000)).toBe(0);
    expect(limit.take(60_000)).toBe(1_000);
  });
});

describe('retryDelay', () => {
  const options = { baseMs: 250, maxMs: 5_000 };

  it('doubles from the base and stops at the maximum', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 50].map((failures) => retryDelay(failures, options, () => 1));
    expect(ceilings).toEqual([250, 500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
  });

  it('keeps at least half the delay fixed, the rest random', () => {
    expect(retryDelay(3, options, () => 0)).toBe(500);
    expect(retryDelay(3, options, () => 0.5)).toBe(750);
  });
});
