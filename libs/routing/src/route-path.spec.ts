import { describe, expect, it } from 'vitest';
import { parseRoutePath, reachesUnder, type RoutePath } from './route-path.js';

function parsed(path: string): RoutePath {
  const result = parseRoutePath(path);
  if (!result.ok) throw new Error(result.message);
  return result.path;
}

describe('parseRoutePath', () => {
  it('splits static segments, parameters and a final wildcard', () => {
    expect(parsed('/api/users/:id/*')).toEqual({
      segments: [
        { kind: 'static', value: 'api' },
        { kind: 'static', value: 'users' },
        { kind: 'param', name: 'id' },
      ],
      wildcard: true,
    });
    expect(parsed('/')).toEqual({ segments: [], wildcard: false });
    expect(parsed('/*')).toEqual({ segments: [], wildcard: true });
  });

  it('compares static text decoded, so /caf%C3%A9 and /café are the same route', () => {
    expect(parsed('/caf%C3%A9').segments).toEqual([{ kind: 'static', value: 'café' }]);
    expect(parsed('/v1/items:batchGet').segments[1]).toEqual({ kind: 'static', value: 'items:batchGet' });
  });

  it.each([
    ['api', 'must start with /'],
    ['/api/*/x', '* is only allowed as the whole last segment'],
    ['/ad*', '* is only allowed as the whole last segment'],
    ['/api//x', 'empty segment'],
    ['/api/', 'empty segment'],
    ['/users/:', 'a parameter needs a name'],
    ['/users/:1st', '":1st" is not a parameter'],
    ['/users/:__proto__', 'is not a parameter'],
    ['/a/:id/b/:id', 'parameter :id appears twice'],
    ['/a b', 'characters a request path cannot carry'],
    ['/a?b=1', 'characters a request path cannot carry'],
    ['/bad%zz', 'malformed percent-encoding'],
    ['/a/../b', '. and .. segments are not allowed'],
    ['/a/%2e', '. and .. segments are not allowed'],
  ])('refuses %s', (path, message) => {
    const result = parseRoutePath(path);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain(message);
  });
});

describe('reachesUnder', () => {
  it.each([
    ['/health', '/health', true],
    ['/health/live', '/health', true],
    ['/*', '/health', true],
    ['/:section', '/health', true],
    ['/:section/*', '/api/docs', true],
    ['/api/*', '/api/docs', true],
    ['/health/*', '/health', true],
    ['/healthz', '/health', false],
    ['/', '/health', false],
    ['/api', '/api/docs', false],
    ['/api/:version', '/api/docs/json', false],
    ['/public/*', '/health', false],
  ])('%s under %s: %s', (path, prefix, expected) => {
    expect(reachesUnder(parsed(path), prefix)).toBe(expected);
  });
});
