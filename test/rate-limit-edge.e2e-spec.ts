import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdgeGateway, upstream, type EdgeGateway } from './support/edge.js';
import { call, expectProblem } from './support/http.js';
import { bearer, token } from './support/token.js';
import { TestUpstream } from './support/upstream.js';

// Route-file `rateLimit` blocks go through the same limiter as @RateLimit handlers; in-memory here,
// the Redis store is covered by rate-limit.e2e-spec.
describe('rate limits on route-file routes', () => {
  let echo: TestUpstream;
  let edge: EdgeGateway;
  let run = 0;
  const user = () => `edge-rl-${process.pid}-${++run}`;

  beforeAll(async () => {
    echo = await TestUpstream.start('echo');
    edge = await startEdgeGateway(
      {
        upstreams: { echo: upstream([echo.url]) },
        routes: [
          {
            id: 'limited',
            path: '/api/limited/*',
            upstream: 'echo',
            rateLimit: [
              { limit: 3, window: '1m', by: 'user' },
              { limit: 100, window: '1h', by: 'ip', name: 'per-address' },
            ],
          },
          { id: 'shared', path: '/api/shared', upstream: 'echo', auth: { public: true }, rateLimit: { limit: 2, window: '1m', by: 'route' } },
          { id: 'unlimited', path: '/api/unlimited', upstream: 'echo', auth: { public: true }, rateLimit: false },
          { id: 'defaulted', path: '/api/defaulted', upstream: 'echo', auth: { public: true } },
        ],
      },
      { RATE_LIMIT_DEFAULT: '2/1m' },
    );
  });

  afterAll(async () => {
    await edge?.stop();
    await echo?.kill();
  });

  it('enforces every block of a route per user, with headers, and a rejected request never reaches the upstream', async () => {
    const sub = user();
    const get = (who: string) => call(edge.baseUrl, '/api/limited/x', { headers: bearer(token(who)) });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await get(sub);
      expect(answer.status).toBe(200);
      remaining.push(answer.headers.get('ratelimit-remaining'));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const served = echo.served;
    const limited = await get(sub);
    expectProblem(limited, 429, 'rate-limited');
    expect(limited.headers.get('ratelimit-policy')).toBe('3;w=60, 100;w=3600');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(echo.served).toBe(served);
    expect((await get(user())).status).toBe(200);
  });

  it('authenticates before limiting: an anonymous call is refused with 401 and spends nothing', async () => {
    const anonymous = await call(edge.baseUrl, '/api/limited/x');
    expectProblem(anonymous, 401);
    expect(anonymous.headers.get('ratelimit-limit')).toBeNull();
  });

  it('by: route shares one budget among every caller of the route', async () => {
    const statuses: number[] = [];
    for (const who of [user(), user(), user()]) statuses.push((await call(edge.baseUrl, '/api/shared', { headers: bearer(token(who)) })).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('applies RATE_LIMIT_DEFAULT to routes without a block, and rateLimit: false opts out', async () => {
    const defaulted: number[] = [];
    for (let i = 0; i < 3; i++) defaulted.push((await call(edge.baseUrl, '/api/defaulted')).status);
    expect(defaulted).toEqual([200, 200, 429]);
    for (let i = 0; i < 4; i++) {
      const answer = await call(edge.baseUrl, '/api/unlimited');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('ratelimit-limit')).toBeNull();
    }
  });
});
