import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { routeSpecSchema } from './route-spec.schema.js';

const base = { id: 'echo', path: '/api/echo/*', upstream: 'echo' };

function issuesOf(route: Record<string, unknown>): { path: string; message: string }[] {
  const result = routeSpecSchema.safeParse({ ...base, ...route });
  return (result.error?.issues ?? []).map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

describe('routeSpecSchema', () => {
  it('fills the defaults of a minimal route', () => {
    expect(routeSpecSchema.parse(base)).toEqual({
      ...base,
      priority: 0,
      auth: { public: false, roles: [] },
      headers: { request: { set: {}, remove: [] }, response: { set: {}, remove: [] } },
      websocket: false,
    });
  });

  it('normalises methods to upper case and header names and hosts to lower case', () => {
    const route = routeSpecSchema.parse({
      ...base,
      methods: ['get', 'Post', 'GET'],
      match: { headers: { 'X-Canary': '1' }, host: 'API.Example.com' },
      headers: { request: { set: { 'X-Gateway': 'portico' }, remove: ['Cookie'] } },
    });
    expect(route.methods).toEqual(['GET', 'POST']);
    expect(route.match).toEqual({ headers: { 'x-canary': '1' }, host: 'api.example.com' });
    expect(route.headers.request).toEqual({ set: { 'x-gateway': 'portico' }, remove: ['cookie'] });
  });

  it('accepts a split, a rewrite using parameters and the wildcard, and route-level overrides', () => {
    const route = routeSpecSchema.parse({
      id: 'users.v2',
      path: '/api/users/:id/*',
      split: [{ upstream: 'blue', weight: 90 }, { upstream: 'green' }],
      rewrite: '/v2/users/:id/$2',
      auth: { roles: ['admin'] },
      retries: { nonIdempotent: true },
      timeoutMs: 2000,
      websocket: true,
      mirror: { upstream: 'shadow', percent: 5 },
    });
    expect(route.split).toEqual([
      { upstream: 'blue', weight: 90 },
      { upstream: 'green', weight: 1 },
    ]);
    expect(route.auth).toEqual({ public: false, roles: ['admin'] });
    expect(route.retries).toEqual({ nonIdempotent: true });
  });

  it.each([
    [{ tiemoutMs: 5 }, '', 'Unrecognized key: "tiemoutMs"'],
    [{ id: 'Echo' }, 'id', 'expected lowercase letters'],
    [{ path: '/api/*/x' }, 'path', '* is only allowed as the whole last segment'],
    [{ methods: ['FETCH'] }, 'methods.0', 'Invalid option'],
    [{ methods: [] }, 'methods', 'leave methods out to accept every method'],
    [{ split: [{ upstream: 'blue', weight: 1 }] }, 'split', 'set either upstream or split, not both'],
    [{ upstream: undefined }, '', 'a route needs an upstream or a split'],
    [{ stripPrefix: '/api/ech' }, 'stripPrefix', "whole leading segments of the path's static part /api/echo"],
    [{ stripPrefix: '/api', rewrite: '/x' }, 'rewrite', 'set either stripPrefix or rewrite, not both'],
    [{ rewrite: 'v2/$1' }, 'rewrite', 'must start with /'],
    [{ rewrite: '/v2/$2' }, 'rewrite', '$2 refers to no capture: the path has 1'],
    [{ rewrite: '/v2/:id' }, 'rewrite', ':id is not a parameter of the path'],
    [{ rewrite: '/v2?x=1' }, 'rewrite', 'no spaces, query or fragment'],
    [{ auth: { public: true, roles: ['admin'] } }, 'auth.roles', 'a public route has no roles'],
    [{ headers: { request: { set: { 'Transfer-Encoding': 'chunked' } } } }, 'headers.request.set.Transfer-Encoding', 'transfer-encoding is managed by the proxy'],
    [{ headers: { response: { set: { Connection: 'close' } } } }, 'headers.response.set.Connection', 'connection is managed by the proxy'],
    [{ headers: { request: { set: { 'x-a': 'b\r\nx-injected: 1' } } } }, 'headers.request.set.x-a', 'no line breaks'],
    [{ match: { host: 'api.example.com:8080' } }, 'match.host', 'expected a host name without port'],
    [{ mirror: { upstream: 'shadow', percent: 0 } }, 'mirror.percent', 'Too small'],
    [{ bodyLimitBytes: 0 }, 'bodyLimitBytes', 'Too small'],
  ])('refuses %j', (route, path, message) => {
    expect(issuesOf(route)).toEqual([{ path, message: expect.stringContaining(message) as string }]);
  });

  it('lets a rewrite keep a colon inside a segment as text', () => {
    expect(issuesOf({ path: '/v1/items', rewrite: '/v1/items:batchGet' })).toEqual([]);
  });

  it('accepts a rateLimit block, a list of blocks or false, and names the bad field of a block', () => {
    expect(routeSpecSchema.parse({ ...base, rateLimit: { limit: 10, window: '1s' } }).rateLimit).toEqual({
      limit: 10,
      window: '1s',
      by: 'user',
      algorithm: 'fixed-window',
    });
    expect(routeSpecSchema.parse({ ...base, rateLimit: [{ limit: 10, window: 1000, by: ['user', 'route'] }, { limit: 1000, window: '1h' }] }).rateLimit).toHaveLength(2);
    expect(routeSpecSchema.parse({ ...base, rateLimit: false }).rateLimit).toBe(false);
    expect(issuesOf({ rateLimit: { limit: 10, window: '1 minute' } })).toEqual([
      { path: 'rateLimit.window', message: 'rate limit window "1 minute" is not like 500ms, 10s, 1m, 1h or 1d' },
    ]);
    expect(issuesOf({ rateLimit: { limit: 10, window: '1s', burst: 20 } })).toEqual([
      { path: 'rateLimit.burst', message: 'burst applies to algorithm: token-bucket only' },
    ]);
    expect(issuesOf({ rateLimit: [{ limit: 0, window: '1s' }] }).map((issue) => issue.path)).toEqual(['rateLimit.0.limit']);
  });

  it('describes the body it accepts as JSON Schema, for the admin API documentation', () => {
    const schema = z.toJSONSchema(routeSpecSchema, { io: 'input' });
    expect(schema).toMatchObject({ type: 'object', required: ['id', 'path'], additionalProperties: false });
  });

  it('reads a cache block like @Cache(), for routes that accept GET', () => {
    const route = routeSpecSchema.parse({ ...base, methods: ['GET'], cache: { ttl: '30s', varyBy: ['user', 'header:Accept-Language'], tags: ['tables'] } });
    expect(route.cache).toEqual({ ttl: '30s', varyBy: ['user', 'header:Accept-Language'], tags: ['tables'], public: false });
    expect(issuesOf({ methods: ['POST'], cache: { ttl: '30s' } })).toEqual([{ path: 'cache', message: 'only GET and HEAD answers are cached, and this route accepts neither' }]);
    expect(issuesOf({ cache: { ttl: 'soon' } })).toEqual([{ path: 'cache.ttl', message: 'cache ttl "soon" is not like 500ms, 30s, 5m, 1h or 1d' }]);
    expect(issuesOf({ cache: { ttl: '0s' } })).toEqual([{ path: 'cache.ttl', message: 'cache ttl must be longer than zero' }]);
    expect(issuesOf({ cache: { ttl: '1s', varyBy: ['cookies'] } })).toEqual([{ path: 'cache.varyBy.0', message: 'expected user, query or header:<name>' }]);
  });
});
