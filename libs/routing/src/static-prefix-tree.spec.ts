import { describe, expect, it } from 'vitest';
import { CompiledRoute } from './compiled-route.js';
import { RequestPath } from './request-path.js';
import { routeSpecSchema } from './route-spec.schema.js';
import { StaticPrefixTree } from './static-prefix-tree.js';

const routes = ['/*', '/api/*', '/api/users/:id', '/api/orders', '/:tenant/users', '/health'].map(
  (path, index) => new CompiledRoute(routeSpecSchema.parse({ id: `r${index}`, path, upstream: 'u' })),
);
const tree = new StaticPrefixTree(routes);

function candidates(path: string): string[] {
  const parsed = RequestPath.parse(path);
  if (parsed === undefined) throw new Error(`unparseable ${path}`);
  return tree.candidates(parsed).map((route) => route.spec.path);
}

describe('StaticPrefixTree', () => {
  it('hands out the routes whose static start the path has, plus those without one, in the given order', () => {
    expect(candidates('/api/users/7')).toEqual(['/*', '/api/*', '/api/users/:id', '/:tenant/users']);
    expect(candidates('/api/orders')).toEqual(['/*', '/api/*', '/api/orders', '/:tenant/users']);
    expect(candidates('/api')).toEqual(['/*', '/api/*', '/:tenant/users']);
    expect(candidates('/acme/users')).toEqual(['/*', '/:tenant/users']);
    expect(candidates('/')).toEqual(['/*', '/:tenant/users']);
  });

  it('compares the decoded segment, as matching does', () => {
    expect(candidates('/%61pi/orders')).toContain('/api/orders');
  });
});
