import { describe, expect, it } from 'vitest';
import { cacheKey, variesByUser, type CacheableRequest } from './cache-key.js';
import { compileCachePolicy, type CacheOptions } from './cache-policy.js';

const request = (overrides: Partial<CacheableRequest> & { headers?: Record<string, string> } = {}): CacheableRequest => ({
  method: 'GET',
  url: '/api/v1/tables/t1',
  user: 'alice',
  header: (name) => overrides.headers?.[name],
  ...overrides,
});
const policy = (options: Partial<CacheOptions> = {}) => compileCachePolicy({ ttl: '30s', ...options }, '/api/v1/tables/:id');

describe('cache keys', () => {
  it('are short and fixed-length whatever the request', () => {
    const key = cacheKey(policy(), request({ url: `/api/v1/tables/${'x'.repeat(5_000)}` }));
    expect(key).toMatch(/^[\w-]{43}$/);
  });

  it('keep users apart unless the policy is public, and share GET with HEAD', () => {
    const private_ = policy();
    expect(cacheKey(private_, request())).not.toBe(cacheKey(private_, request({ user: 'bob' })));
    expect(cacheKey(private_, request())).toBe(cacheKey(private_, request({ method: 'HEAD' })));
    const shared = policy({ public: true });
    expect(cacheKey(shared, request())).toBe(cacheKey(shared, request({ user: 'bob' })));
    expect(cacheKey(shared, request({ user: undefined }))).toBe(cacheKey(shared, request()));
  });

  it('vary by user on a public policy only when it asks for it', () => {
    expect(variesByUser(policy({ public: true }), request())).toBe(false);
    expect(variesByUser(policy({ public: true, varyBy: ['user'] }), request())).toBe(true);
    expect(variesByUser(policy(), request())).toBe(true);
    // An anonymous caller has no user to vary by; its entries are never a signed-in user's.
    expect(variesByUser(policy(), request({ user: undefined }))).toBe(false);
    expect(cacheKey(policy(), request({ user: undefined }))).not.toBe(cacheKey(policy(), request()));
  });

  it('ignore the query unless varying by it', () => {
    const plain = policy();
    expect(cacheKey(plain, request({ url: '/a?page=1' }))).toBe(cacheKey(plain, request({ url: '/a?page=2' })));
    const byQuery = policy({ varyBy: ['query'] });
    expect(cacheKey(byQuery, request({ url: '/a?page=1' }))).not.toBe(cacheKey(byQuery, request({ url: '/a?page=2' })));
    expect(cacheKey(byQuery, request({ url: '/a?page=1' }))).not.toBe(cacheKey(byQuery, request({ url: '/a' })));
  });

  it('vary by the named headers, case-insensitively named', () => {
    const byLanguage = policy({ varyBy: ['header:Accept-Language'] });
    const english = request({ headers: { 'accept-language': 'en' } });
    expect(cacheKey(byLanguage, english)).not.toBe(cacheKey(byLanguage, request({ headers: { 'accept-language': 'fr' } })));
    expect(cacheKey(byLanguage, english)).toBe(cacheKey(byLanguage, request({ headers: { 'accept-language': 'en', 'x-other': '1' } })));
  });

  it('cannot be forged by moving characters between parts', () => {
    const byQuery = policy({ varyBy: ['query'] });
    expect(cacheKey(byQuery, request({ url: '/a?b', user: 'c' }))).not.toBe(cacheKey(byQuery, request({ url: '/a?', user: 'bc' })));
    expect(cacheKey(policy(), request({ user: 'a:b' }))).not.toBe(cacheKey(compileCachePolicy({ ttl: '30s' }, '/api/v1/tables/:idu:a'), request({ user: 'b' })));
  });

  it('are guarded by the policy’s tags and its route', () => {
    expect(policy({ tags: ['tables'] }).guards).toEqual(['tables', 'route:/api/v1/tables/:id']);
  });
});
