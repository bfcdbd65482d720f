import { describe, expect, it } from 'vitest';
import { cacheOptionsSchema, compileCachePolicy, parseDuration } from './cache-policy.js';

describe('cache policies', () => {
  it('compile durations, vary parts and defaults', () => {
    expect(compileCachePolicy({ ttl: '30s', varyBy: ['user', 'query', 'header:Accept-Language'], tags: ['tables', 'tables'], staleWhileRevalidate: '10s' }, 'lobby')).toEqual({
      name: 'lobby',
      ttlMs: 30_000,
      staleMs: 10_000,
      public: false,
      varyUser: true,
      varyQuery: true,
      varyHeaders: ['accept-language'],
      tags: ['tables'],
      guards: ['tables', 'route:lobby'],
    });
    expect(compileCachePolicy({ ttl: 500 }, 'x')).toMatchObject({ ttlMs: 500, staleMs: 0, public: false, varyHeaders: [] });
  });

  it('refuse what they cannot apply, saying what is wrong', () => {
    expect(() => parseDuration('30 seconds', 'cache ttl')).toThrow(/cache ttl "30 seconds" is not like/);
    expect(() => compileCachePolicy({ ttl: '0s' }, 'x')).toThrow(/longer than zero/);
    expect(() => compileCachePolicy({ ttl: '1s', varyBy: ['cookie' as never] }, 'x')).toThrow(/varyBy "cookie"/);
    expect(() => compileCachePolicy({ ttl: '1s', tags: ['has space'] }, 'x')).toThrow(/tag "has space"/);
  });

  it('are read from a route file block of the same shape', () => {
    expect(cacheOptionsSchema.parse({ ttl: '30s', varyBy: ['user'], tags: ['tables'] })).toEqual({ ttl: '30s', varyBy: ['user'], tags: ['tables'], public: false });
    const bad = cacheOptionsSchema.safeParse({ ttl: 'soon', varyBy: ['header:'], extra: 1 });
    expect(bad.success).toBe(false);
    const messages = bad.error?.issues.map((issue) => issue.message).join('\n');
    expect(messages).toMatch(/expected user, query or header:<name>/);
    expect(messages).toMatch(/extra/);
  });
});
