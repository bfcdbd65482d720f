import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdgeGateway, upstream, type EdgeGateway } from './support/edge.js';
import { call, expectProblem } from './support/http.js';
import { bearer, token } from './support/token.js';
import { TestUpstream, type EchoAnswer } from './support/upstream.js';
import { waitFor } from './support/wait-for.js';

interface TargetView {
  url: string;
  health: string;
  circuit: string;
  inFlight: number;
}

function tally(servers: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const server of servers) counts[server] = (counts[server] ?? 0) + 1;
  return counts;
}

describe('edge resilience: balancing, failures, breakers and timeouts', () => {
  let a: TestUpstream;
  let b: TestUpstream;
  let c: TestUpstream;
  let edge: EdgeGateway;
  const admin = bearer(token('ops', { claims: { roles: ['admin'] } }));

  const balanced = (balancer: string, weights: number[] = [1, 1, 1]) => ({
    targets: [a, b, c].map((target, index) => ({ url: target.url, weight: weights[index] })),
    balancer,
  });

  beforeAll(async () => {
    [a, b, c] = await Promise.all([TestUpstream.start('a'), TestUpstream.start('b'), TestUpstream.start('c')]);
    const route = (id: string, up: string) => ({ id, path: `/${id}/*`, upstream: up, stripPrefix: `/${id}`, auth: { public: true } });
    edge = await startEdgeGateway(
      {
        upstreams: {
          rr: balanced('round-robin'),
          wrr: balanced('weighted-round-robin', [1, 3, 0].map((weight) => Math.max(weight, 1))),
          random: balanced('random', [1, 1, 8]),
          least: balanced('least-connections'),
          p2c: balanced('p2c'),
          hash: balanced('ip-hash'),
          fragile: {
            targets: [{ url: a.url }, { url: b.url }],
            balancer: 'round-robin',
            retries: { attempts: 2, backoffMs: 10 },
            circuitBreaker: { failureThreshold: 2, openMs: 1500, halfOpenRequests: 1 },
          },
          slow: upstream([c.url], { timeout: { connectMs: 500, requestMs: 300 } }),
          gone: upstream(['http://127.0.0.1:9'], { retries: { attempts: 0 } }),
          sick: upstream([c.url], { healthCheck: { path: '/healthz', intervalMs: 200, unhealthyThreshold: 1 } }),
        },
        routes: ['rr', 'wrr', 'random', 'least', 'p2c', 'hash', 'fragile', 'slow', 'gone', 'sick'].map((id) => route(id, id)),
      },
      // Loopback peers may set X-Forwarded-For, so the suite can play clients at many addresses.
      { TRUST_PROXY: 'loopback' },
    );
  });

  afterAll(async () => {
    await edge?.stop();
    await Promise.all([a, b, c].map((target) => target?.kill()));
  });

  const serversOf = async (path: string, count: number, headers: (index: number) => Record<string, string> = () => ({})) => {
    const servers: string[] = [];
    for (let index = 0; index < count; index++) {
      const result = await call<EchoAnswer>(edge.baseUrl, path, { headers: headers(index) });
      expect(result.status, result.text).toBe(200);
      servers.push(result.body.server);
    }
    return servers;
  };

  const concurrentServers = async (path: string, count: number) => {
    const results = await Promise.all(Array.from({ length: count }, () => call<EchoAnswer>(edge.baseUrl, path)));
    for (const result of results) expect(result.status, result.text).toBe(200);
    return results.map((result) => result.body.server);
  };

  it('round-robin cycles evenly', async () => {
    expect(tally(await serversOf('/rr/x', 30))).toEqual({ a: 10, b: 10, c: 10 });
  });

  it('weighted round-robin follows the weights exactly over whole cycles', async () => {
    expect(tally(await serversOf('/wrr/x', 50))).toEqual({ a: 10, b: 30, c: 10 });
  });

  it('random follows the weights on average', async () => {
    const counts = tally(await serversOf('/random/x', 200));
    expect(counts['c']).toBeGreaterThan(120);
    expect((counts['a'] ?? 0) + (counts['b'] ?? 0)).toBeGreaterThan(5);
  });

  it('least-connections and p2c spread concurrent slow requests over every target', async () => {
    for (const path of ['/least/slow?ms=300', '/p2c/slow?ms=300']) {
      const counts = tally(await concurrentServers(path, 12));
      expect(Object.keys(counts).sort(), path).toEqual(['a', 'b', 'c']);
    }
  });

  it('ip-hash keeps each client on one target and spreads clients', async () => {
    // From a trusted proxy, the forwarded chain is kept and the proxy's own address appended.
    const forwarded = await call<EchoAnswer>(edge.baseUrl, '/hash/x', { headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect(forwarded.body.headers['x-forwarded-for']).toBe('198.51.100.7, 127.0.0.1');
    const sticky = await serversOf('/hash/x', 10, () => ({ 'x-forwarded-for': '198.51.100.7' }));
    expect(new Set(sticky).size).toBe(1);
    const spread = await serversOf('/hash/x', 60, (index) => ({ 'x-forwarded-for': `198.51.100.${index + 1}` }));
    expect(new Set(spread).size).toBe(3);
  });

  it('moves traffic off a killed target without failed requests, opens its circuit, and closes it after recovery', async () => {
    const port = b.port;
    await b.kill();
    const servers = await serversOf('/fragile/x', 20);
    expect(new Set(servers)).toEqual(new Set(['a']));
    const targetOf = async () => {
      const view = await call<{ upstreams: { name: string; targets: TargetView[] }[] }>(edge.baseUrl, '/admin/upstreams', { headers: admin });
      return view.body.upstreams.find((entry) => entry.name === 'fragile')!.targets.find((target) => target.url.endsWith(`:${port}`))!;
    };
    expect((await targetOf()).circuit).toBe('open');
    expect((await call(edge.baseUrl, '/metrics')).text).toMatch(/proxy_target_circuit_state\{upstream="fragile",target="[^"]+:\d+"\} 2/);

    b = await TestUpstream.start('b', port);
    await waitFor(
      async () => {
        await serversOf('/fragile/x', 2);
        return (await targetOf()).circuit === 'closed';
      },
      { timeoutMs: 10_000, intervalMs: 200, description: 'the recovered target’s circuit to close' },
    );
    expect(new Set(await serversOf('/fragile/x', 6))).toEqual(new Set(['a', 'b']));
  });

  it('answers 504 when the target is too slow, at the deadline and without hanging', async () => {
    const result = await call(edge.baseUrl, '/slow/slow?ms=3000');
    expectProblem(result, 504, 'upstream-timeout');
    expect(result.elapsedMs).toBeLessThan(1_500);
  });

  it('answers 502 when the target refuses connections, naming no address', async () => {
    const problem = expectProblem(await call(edge.baseUrl, '/gone/x'), 502, 'upstream-error');
    expect(problem.detail).not.toContain('127.0.0.1');
  });

  it('answers 503 with Retry-After when no target is healthy, and serves again once one is', async () => {
    c.healthy = false;
    await waitFor(async () => (await call(edge.baseUrl, '/sick/x')).status === 503, { timeoutMs: 5_000, description: 'the sick target to be taken out' });
    const result = await call(edge.baseUrl, '/sick/x');
    expectProblem(result, 503, 'upstream-unavailable');
    expect(Number(result.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    c.healthy = true;
    await waitFor(async () => (await call(edge.baseUrl, '/sick/x')).status === 200, { timeoutMs: 5_000, description: 'the target to be back' });
  });
});
