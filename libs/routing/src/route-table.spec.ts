import { describe, expect, it } from 'vitest';
import type { RouteRequest } from './compiled-route.js';
import { routeSpecSchema } from './route-spec.schema.js';
import { RouteTable } from './route-table.js';

const route = (fields: Record<string, unknown>) => routeSpecSchema.parse({ upstream: 'u', ...fields });

interface RequestInit {
  method?: string;
  host?: string;
  headers?: Record<string, string>;
  query?: string;
}

function request(path: string, init: RequestInit = {}): RouteRequest {
  return {
    method: init.method ?? 'GET',
    path,
    host: init.host,
    header: (name) => init.headers?.[name],
    get query() {
      return init.query === undefined ? undefined : new URLSearchParams(init.query);
    },
  };
}

const table = (...routes: Record<string, unknown>[]) => new RouteTable(routes.map(route));

describe('RouteTable', () => {
  describe('order', () => {
    it('tries higher priority first, then the more specific path, then file order', () => {
      const routes = table(
        { id: 'wildcard', path: '/api/*' },
        { id: 'param', path: '/api/:name' },
        { id: 'static', path: '/api/users' },
        { id: 'two-params', path: '/:area/:name' },
        { id: 'param-and-wildcard', path: '/api/:name/*' },
        { id: 'deep-wildcard', path: '/api/users/*' },
        { id: 'short-wildcard', path: '/a/*' },
        { id: 'long-wildcard', path: '/abcd/*' },
        { id: 'first-tie', path: '/x/:a' },
        { id: 'second-tie', path: '/y/:b' },
        { id: 'urgent', path: '/*', priority: 5 },
      ).routes.map((compiled) => compiled.id);
      expect(routes).toEqual([
        'urgent',
        'static',
        'deep-wildcard',
        'param',
        'first-tie',
        'second-tie',
        'param-and-wildcard',
        'long-wildcard',
        'wildcard',
        'short-wildcard',
        'two-params',
      ]);
    });

    it('never lets a broader route hide a narrower one of the same priority', () => {
      const routes = table(
        { id: 'any-user', path: '/users/*' },
        { id: 'user', path: '/users/:id' },
        { id: 'user-files', path: '/users/:id/*' },
      );
      expect(routes.match(request('/users/7'))?.route.id).toBe('user');
      expect(routes.match(request('/users/7/avatar'))?.route.id).toBe('user-files');
      expect(routes.match(request('/users'))?.route.id).toBe('any-user');
    });

    it.each([
      ['/api/users/7', 'api-user'],
      ['/api/users', 'tenant-users'],
      ['/acme/users', 'tenant-users'],
      ['/api', 'api'],
      ['/api/other', 'api'],
      ['/acme/other', 'fallback'],
      ['/', 'fallback'],
    ])('keeps the table order among routes with and without a static start: %s', (path, id) => {
      const routes = table(
        { id: 'fallback', path: '/*' },
        { id: 'api', path: '/api/*' },
        { id: 'tenant-users', path: '/:tenant/users' },
        { id: 'api-user', path: '/api/users/:id' },
      );
      expect(routes.match(request(path))?.route.id).toBe(id);
    });

    it('lets a higher priority win over a more specific path', () => {
      const routes = table({ id: 'specific', path: '/api/users' }, { id: 'canary', path: '/api/*', priority: 1 });
      expect(routes.match(request('/api/users'))?.route.id).toBe('canary');
    });

    it('falls through to the next route when a match block does not fit', () => {
      const routes = table(
        { id: 'canary', path: '/api/*', match: { headers: { 'x-canary': '1' } }, priority: 1 },
        { id: 'stable', path: '/api/*' },
      );
      expect(routes.match(request('/api/x', { headers: { 'x-canary': '1' } }))?.route.id).toBe('canary');
      expect(routes.match(request('/api/x', { headers: { 'x-canary': '2' } }))?.route.id).toBe('stable');
    });
  });

  describe('paths', () => {
    it('matches parameters as one non-empty segment, percent-decoded', () => {
      const routes = table({ id: 'user', path: '/users/:id/posts/:post' });
      expect(routes.match(request('/users/a%20b/posts/7'))).toMatchObject({
        params: { id: 'a b', post: '7' },
        upstreamPath: '/users/a%20b/posts/7',
      });
      expect(routes.match(request('/users//posts/7'))).toBeUndefined();
      expect(routes.match(request('/users/1/posts/'))).toBeUndefined();
      expect(routes.match(request('/users/1/2/posts/7'))).toBeUndefined();
      expect(routes.match(request('/users/1/posts/7/x'))).toBeUndefined();
    });

    it.each([
      ['/api/echo', ''],
      ['/api/echo/', ''],
      ['/api/echo/a/b', 'a/b'],
      ['/api/echo/a%2Fb/', 'a%2Fb/'],
    ])('lets a wildcard take the rest of %s, even none', (path, rest) => {
      expect(table({ id: 'echo', path: '/api/echo/*' }).match(request(path))?.params).toEqual({ '*': rest });
    });

    it('keeps a wildcard to whole segments', () => {
      expect(table({ id: 'echo', path: '/api/echo/*' }).match(request('/api/echoes'))).toBeUndefined();
    });

    it('matches the root exactly, and everything with /*', () => {
      const root = table({ id: 'root', path: '/' });
      expect(root.match(request('/'))?.route.id).toBe('root');
      expect(root.match(request('/x'))).toBeUndefined();
      const everything = table({ id: 'all', path: '/*' });
      expect(everything.match(request('/'))?.params).toEqual({ '*': '' });
      expect(everything.match(request('/a/b'))?.params).toEqual({ '*': 'a/b' });
    });

    it('compares static segments decoded, so an encoded letter cannot dodge a route', () => {
      const routes = table({ id: 'admin', path: '/api/admin/*', auth: { roles: ['admin'] } }, { id: 'public', path: '/api/*' });
      expect(routes.match(request('/api/%61dmin/users'))?.route.id).toBe('admin');
      expect(table({ id: 'cafe', path: '/café' }).match(request('/caf%C3%A9'))?.route.id).toBe('cafe');
    });

    it('treats a malformed percent-encoding literally instead of throwing', () => {
      const routes = table({ id: 'file', path: '/files/:name' });
      expect(routes.match(request('/files/%E0%A4%A'))?.params).toEqual({ name: '%E0%A4%A' });
      expect(table({ id: 'files', path: '/files' }).match(request('/%E0%A4%A'))).toBeUndefined();
    });

    it.each(['/api/../admin', '/api/./x', '/api/%2e%2E/admin', '/api//x', '', 'api/x', '*', 'http://example.com/api/x'])(
      'matches no route for the ambiguous or malformed path %j',
      (path) => {
        const routes = table({ id: 'all', path: '/*' });
        expect(routes.match(request(path))).toBeUndefined();
        expect(routes.allowedMethods(request(path))).toEqual([]);
      },
    );
  });

  describe('match block', () => {
    it('matches a host exactly or as a *. suffix', () => {
      const routes = table(
        { id: 'exact', path: '/*', match: { host: 'api.example.com' } },
        { id: 'tenants', path: '/*', match: { host: '*.example.com' } },
      );
      expect(routes.match(request('/', { host: 'api.example.com' }))?.route.id).toBe('exact');
      expect(routes.match(request('/', { host: 'acme.example.com' }))?.route.id).toBe('tenants');
      expect(routes.match(request('/', { host: 'a.b.example.com' }))?.route.id).toBe('tenants');
      expect(routes.match(request('/', { host: 'example.com' }))).toBeUndefined();
      expect(routes.match(request('/', { host: 'badexample.com' }))).toBeUndefined();
      expect(routes.match(request('/'))).toBeUndefined();
    });

    it('requires every header and query value, compared case-sensitively', () => {
      const routes = table({ id: 'v2', path: '/*', match: { headers: { 'X-Canary': 'On' }, query: { v: '2' } } });
      expect(routes.match(request('/', { headers: { 'x-canary': 'On' }, query: 'v=2&x=1' }))?.route.id).toBe('v2');
      expect(routes.match(request('/', { headers: { 'x-canary': 'on' }, query: 'v=2' }))).toBeUndefined();
      expect(routes.match(request('/', { headers: { 'x-canary': 'On' }, query: 'v=3' }))).toBeUndefined();
      expect(routes.match(request('/', { headers: { 'x-canary': 'On' } }))).toBeUndefined();
    });

    it('never reads the query when no route matches on it', () => {
      const routes = table({ id: 'all', path: '/*' });
      const lazy = {
        ...request('/x'),
        get query(): URLSearchParams {
          throw new Error('the query was parsed');
        },
      };
      expect(routes.match(lazy)?.route.id).toBe('all');
    });
  });

  describe('methods', () => {
    const routes = table(
      { id: 'read', path: '/items/:id', methods: ['GET'] },
      { id: 'write', path: '/items/:id', methods: ['PUT', 'DELETE'] },
      { id: 'internal', path: '/items/:id', methods: ['POST'], match: { headers: { 'x-internal': '1' } } },
      { id: 'any', path: '/anything' },
    );

    it('accepts HEAD wherever GET is listed, and any method when none are', () => {
      expect(routes.match(request('/items/1', { method: 'HEAD' }))?.route.id).toBe('read');
      expect(routes.match(request('/items/1', { method: 'DELETE' }))?.route.id).toBe('write');
      expect(routes.match(request('/anything', { method: 'PROPFIND' }))?.route.id).toBe('any');
    });

    it('lists the methods of routes whose path and match block fit, for Allow', () => {
      expect(routes.match(request('/items/1', { method: 'POST' }))).toBeUndefined();
      expect(routes.allowedMethods(request('/items/1', { method: 'POST' }))).toEqual(['GET', 'HEAD', 'PUT', 'DELETE']);
      expect(routes.allowedMethods(request('/items/1', { method: 'PATCH', headers: { 'x-internal': '1' } }))).toEqual([
        'GET',
        'HEAD',
        'POST',
        'PUT',
        'DELETE',
      ]);
      expect(routes.allowedMethods(request('/elsewhere', { method: 'POST' }))).toEqual([]);
    });
  });

  describe('upstream path', () => {
    it.each([
      ['/api/echo/a/b', '/a/b'],
      ['/api/echo', '/'],
      ['/api/echo/', '/'],
      ['/api/%65cho/a%20b', '/a%20b'],
    ])('strips the prefix from %s', (path, upstreamPath) => {
      const routes = table({ id: 'echo', path: '/api/echo/*', stripPrefix: '/api/echo' });
      expect(routes.match(request(path))?.upstreamPath).toBe(upstreamPath);
    });

    it('rewrites with captures in their raw encoding', () => {
      const routes = table({ id: 'users', path: '/api/users/:id/*', rewrite: '/v2/accounts/:id/$2.json' });
      expect(routes.match(request('/api/users/a%2Fb/x%20y/z'))).toMatchObject({
        params: { id: 'a/b', '*': 'x%20y/z' },
        upstreamPath: '/v2/accounts/a%2Fb/x%20y/z.json',
      });
    });

    it('substitutes $n anywhere and repeats a capture as often as written', () => {
      const routes = table({ id: 'v', path: '/v/:a/:b', rewrite: '/$2-$1/$1' });
      expect(routes.match(request('/v/x/y'))?.upstreamPath).toBe('/y-x/x');
    });

    it('sends the original path when there is neither', () => {
      expect(table({ id: 'echo', path: '/api/echo/*' }).match(request('/api/%65cho/a'))?.upstreamPath).toBe('/api/%65cho/a');
    });
  });
});
