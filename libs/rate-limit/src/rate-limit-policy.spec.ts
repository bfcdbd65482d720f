import { describe, expect, it } from 'vitest';
import { compilePolicy, parseDefaultPolicy, parseWindow, policyHeaderItem } from './rate-limit-policy.js';

describe('rate limit policies', () => {
  it('parses windows in every unit and refuses others', () => {
    expect([parseWindow('500ms'), parseWindow('10s'), parseWindow('1m'), parseWindow('2h'), parseWindow('1d'), parseWindow(250)]).toEqual([
      500, 10_000, 60_000, 7_200_000, 86_400_000, 250,
    ]);
    expect(() => parseWindow('1 minute')).toThrow(/not like/);
    expect(() => parseWindow('0s')).toThrow(/longer than zero/);
  });

  it('fills defaults: per user, fixed window, burst only for token buckets', () => {
    expect(compilePolicy({ limit: 10, window: '1s', burst: 50 }, 'x')).toEqual({
      name: 'x',
      limit: 10,
      windowMs: 1_000,
      by: ['user'],
      algorithm: 'fixed-window',
      burst: 10,
    });
    expect(compilePolicy({ limit: 10, window: '1s', burst: 50, algorithm: 'token-bucket', by: ['ip', 'route'], name: 'n' }, 'x')).toMatchObject({
      name: 'n',
      by: ['ip', 'route'],
      burst: 50,
    });
    expect(() => compilePolicy({ limit: 0, window: '1s' }, 'x')).toThrow(/positive integer/);
  });

  it('reads RATE_LIMIT_DEFAULT', () => {
    expect(parseDefaultPolicy('100/1m')).toEqual({ limit: 100, window: '1m', by: 'user', name: 'default' });
    expect(parseDefaultPolicy('off')).toBeUndefined();
    expect(() => parseDefaultPolicy('100 per minute')).toThrow(/100\/1m/);
    expect(() => parseDefaultPolicy('100/1y')).toThrow(/window/);
  });

  it('formats RateLimit-Policy items', () => {
    expect(policyHeaderItem(compilePolicy({ limit: 100, window: '1m' }, 'x'))).toBe('100;w=60');
    expect(policyHeaderItem(compilePolicy({ limit: 5, window: '1s', algorithm: 'token-bucket', burst: 20 }, 'x'))).toBe('5;w=1;burst=20');
  });
});
