import { describe, expect, it } from 'vitest';
import { bucketOf, quantile, RELATIVE_ACCURACY } from './duration-sketch.js';

function bucketsOf(durations: readonly number[]): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const duration of durations) buckets.set(bucketOf(duration), (buckets.get(bucketOf(duration)) ?? 0) + 1);
  return buckets;
}

function exactQuantile(durations: readonly number[], q: number): number {
  const sorted = [...durations].sort((a, b) => a - b);
  return sorted[Math.ceil(q * sorted.length) - 1]!;
}

describe('duration sketch', () => {
  it('has no quantile without durations', () => {
    expect(quantile(new Map(), 0.95)).toBeUndefined();
  });

  it('reports zero-length sessions as 0 ms', () => {
    expect(quantile(bucketsOf([0, 0, 0]), 0.95)).toBe(0);
  });

  it('keeps p95 within the documented relative accuracy over a wide spread of durations', () => {
    // Deterministic spread from 1 ms to about 3 hours, skewed towards short sessions as real ones are.
    const durations = Array.from({ length: 5_000 }, (_, index) => Math.round(Math.exp((index * 9.3) / 5_000) * (1 + (index % 7))));
    const exact = exactQuantile(durations, 0.95);
    const estimate = quantile(bucketsOf(durations), 0.95)!;
    expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY + 0.001);
  });

  it('uses the nearest rank: among twenty sessions the 19th is the p95, among twenty-one the 20th', () => {
    const durations = [...Array.from({ length: 19 }, () => 1_000), 600_000];
    const within = (value: number | undefined, expected: number) => Math.abs(value! - expected) / expected <= RELATIVE_ACCURACY;
    expect(within(quantile(bucketsOf(durations), 0.95), 1_000)).toBe(true);
    expect(within(quantile(bucketsOf([...durations, 600_000]), 0.95), 600_000)).toBe(true);
  });
});
