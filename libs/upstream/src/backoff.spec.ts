import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1_000],
    [60, 1_000],
  ])('jitters attempt %i within [0, %i)', (attempt, ceiling) => {
    expect(backoffDelayMs(attempt, 100, 1_000, () => 0)).toBe(0);
    expect(backoffDelayMs(attempt, 100, 1_000, () => 0.5)).toBe(ceiling / 2);
    expect(backoffDelayMs(attempt, 100, 1_000, () => 1 - Number.EPSILON)).toBeLessThan(ceiling);
  });

  it('uses Math.random by default', () => {
    for (let draw = 0; draw < 100; draw++) {
      const delay = backoffDelayMs(3, 100, 1_000);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(400);
    }
  });
});
