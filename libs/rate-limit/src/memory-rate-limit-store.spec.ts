import { describe, expect, it } from 'vitest';
import { MemoryRateLimitStore } from './memory-rate-limit-store.js';
import { compilePolicy, type RateLimitOptions } from './rate-limit-policy.js';

function clocked(start = 1_000_000) {
  const clock = { now: start };
  const store = new MemoryRateLimitStore(() => clock.now);
  return { clock, store };
}

const policy = (options: Partial<RateLimitOptions>) => compilePolicy({ limit: 3, window: '1s', ...options }, 'spec');

describe('MemoryRateLimitStore', () => {
  describe('fixed window', () => {
    const fixed = policy({ algorithm: 'fixed-window' });

    it('allows the limit within a window, rejects the next until the window ends, then allows again', () => {
      const { clock, store } = clocked(5_000);
      expect([1, 2, 3].map(() => store.consumeNow('k', fixed, true).remaining)).toEqual([2, 1, 0]);
      clock.now = 5_999;
      expect(store.consumeNow('k', fixed, true)).toEqual({ allowed: false, limit: 3, remaining: 0, resetMs: 1, retryAfterMs: 1 });
      clock.now = 6_000;
      expect(store.consumeNow('k', fixed, true)).toMatchObject({ allowed: true, remaining: 2, resetMs: 1_000 });
    });

    it('counts keys apart', () => {
      const { store } = clocked();
      for (let i = 0; i < 3; i++) store.consumeNow('a', fixed, true);
      expect(store.consumeNow('a', fixed, true).allowed).toBe(false);
      expect(store.consumeNow('b', fixed, true).allowed).toBe(true);
    });
  });

  describe('sliding window', () => {
    const sliding = policy({ algorithm: 'sliding-window' });

    it('frees a slot exactly one window after each allowed request, not at a window boundary', () => {
      const { clock, store } = clocked(10_000);
      store.consumeNow('k', sliding, true); // t=10000
      clock.now = 10_400;
      store.consumeNow('k', sliding, true);
      clock.now = 10_900;
      store.consumeNow('k', sliding, true);
      clock.now = 10_999;
      expect(store.consumeNow('k', sliding, true)).toEqual({ allowed: false, limit: 3, remaining: 0, resetMs: 1, retryAfterMs: 1 });
      clock.now = 11_000; // the first request leaves the window; the others still count
      expect(store.consumeNow('k', sliding, true)).toMatchObject({ allowed: true, remaining: 0 });
      expect(store.consumeNow('k', sliding, true)).toMatchObject({ allowed: false, retryAfterMs: 400 });
    });

    it('does not let a burst straddle a window boundary, unlike a fixed window', () => {
      const { clock, store } = clocked(10_900);
      for (let i = 0; i < 3; i++) expect(store.consumeNow('k', sliding, true).allowed).toBe(true);
      clock.now = 11_100;
      expect(store.consumeNow('k', sliding, true).allowed).toBe(false);
    });
  });

  describe('token bucket', () => {
    const bucket = policy({ algorithm: 'token-bucket', limit: 2, window: '1s', burst: 4 });

    it('allows a burst, then refills at limit per window', () => {
      const { clock, store } = clocked();
      expect([1, 2, 3, 4].map(() => store.consumeNow('k', bucket, true).remaining)).toEqual([3, 2, 1, 0]);
      expect(store.consumeNow('k', bucket, true)).toMatchObject({ allowed: false, limit: 4, retryAfterMs: 500 });
      clock.now += 499;
      expect(store.consumeNow('k', bucket, true).allowed).toBe(false);
      clock.now += 1;
      expect(store.consumeNow('k', bucket, true)).toMatchObject({ allowed: true, remaining: 0 });
    });

    it('never holds more than the burst, however long it rests', () => {
      const { clock, store } = clocked();
      store.consumeNow('k', bucket, true);
      clock.now += 60_000;
      expect(store.consumeNow('k', bucket, true).remaining).toBe(3);
    });
  });

  it.each(['fixed-window', 'sliding-window', 'token-bucket'] as const)('%s: rejected requests and questions spend nothing', (algorithm) => {
    const { store } = clocked();
    const limited = policy({ algorithm, limit: 2, burst: 2 });
    expect(store.consumeNow('k', limited, false)).toMatchObject({ allowed: true, remaining: 1 });
    expect(store.consumeNow('k', limited, true)).toMatchObject({ allowed: true, remaining: 1 });
    expect(store.consumeNow('k', limited, true)).toMatchObject({ allowed: true, remaining: 0 });
    for (let i = 0; i < 5; i++) expect(store.consumeNow('k', limited, true).allowed).toBe(false);
    expect(store.consumeNow('other', limited, true).allowed).toBe(true);
  });

  it('rejected requests do not push the time a client may retry further out', () => {
    const { clock, store } = clocked(0);
    const sliding = policy({ algorithm: 'sliding-window', limit: 1 });
    store.consumeNow('k', sliding, true);
    clock.now = 500;
    store.consumeNow('k', sliding, true);
    clock.now = 1_000;
    expect(store.consumeNow('k', sliding, true).allowed).toBe(true);
  });
});
