import { RedisProvider, type ServiceInstance } from '@portico/discovery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdgeGateway, type EdgeGateway } from './support/edge.js';
import { call } from './support/http.js';
import { startDedicatedRedis, type TestRedis } from './support/redis.js';
import { bearer, token } from './support/token.js';
import { TestUpstream, type EchoAnswer } from './support/upstream.js';
import { waitFor } from './support/wait-for.js';

interface UpstreamList {
  upstreams: {
    name: string;
    discovery?: { service: string; state: string };
    targets: { url: string; metadata: Record<string, string> }[];
  }[];
}

const SERVICE = 'echo-http';
/** Long enough that no entry expires during the suite: instances leave only when withdrawn. */
const TTL_MS = 120_000;
/** How soon a registration or withdrawal must show in where requests go. */
const PROMPTLY_MS = 2_000;

/**
 * Route-file upstreams fed by service discovery: real HTTP upstreams registered in a real Redis the
 * way services register themselves (`RedisProvider.announce`), and a real gateway with DISCOVERY=redis
 * whose route file names the service instead of listing targets.
 */
describe('edge routing to discovered upstreams', () => {
  const admin = bearer(token('ops', { claims: { roles: ['admin'] } }));
  let redis: TestRedis;
  let registry: RedisProvider;
  const servers = new Map<string, TestUpstream>();
  let edge: EdgeGateway;
  /** Every answer other than 200, across the suite: moving traffic between instances must fail no request. */
  const failures: string[] = [];

  const instanceOf = (server: TestUpstream, zone: string): ServiceInstance => ({
    id: `${SERVICE}-${server.name}`,
    service: SERVICE,
    address: `127.0.0.1:${server.port}`,
    weight: 1,
    metadata: { zone },
  });
  const register = async (name: string, zone: string) => {
    const server = servers.get(name) ?? (await TestUpstream.start(name));
    servers.set(name, server);
    await registry.announce(instanceOf(server, zone), TTL_MS);
    return server;
  };
  const withdraw = (name: string) => registry.withdraw(instanceOf(servers.get(name)!, 'any'));

  /** Which upstream server answered each of `count` requests to `path`, one after another; failures go to `failures`. */
  const answers = async (path: string, count: number) => {
    const seen: string[] = [];
    for (let index = 0; index < count; index++) {
      const result = await call<EchoAnswer>(edge.baseUrl, path);
      if (result.status === 200) seen.push(result.body.server);
      else failures.push(`${path}: ${result.status} ${result.text}`);
    }
    return seen;
  };
  /** Resolves once a run of requests to `path` is answered by exactly the `expected` servers; fails after PROMPTLY_MS. */
  const trafficSettlesOn = (path: string, expected: string[], description: string) =>
    waitFor(async () => JSON.stringify([...new Set(await answers(path, 6))].sort()) === JSON.stringify(expected), {
      timeoutMs: PROMPTLY_MS,
      description,
    });

  beforeAll(async () => {
    redis = await startDedicatedRedis();
    registry = new RedisProvider({ url: redis.url, prefix: 'portico' });
    await Promise.all([register('eu', 'eu-1'), register('us', 'us-1')]);
    edge = await startEdgeGateway(
      {
        upstreams: {
          echo: { discovery: { service: SERVICE, scheme: 'http' }, healthCheck: { path: '/healthz', intervalMs: 500 } },
          zoned: { discovery: { service: SERVICE }, prefer: { zone: 'eu-1' } },
        },
        routes: [
          { id: 'echo', path: '/echo/*', upstream: 'echo', stripPrefix: '/echo', auth: { public: true } },
          { id: 'zoned', path: '/zoned/*', upstream: 'zoned', stripPrefix: '/zoned', auth: { public: true } },
        ],
      },
      { DISCOVERY: 'redis', REDIS_URL: redis.url },
    );
  }, 60_000);

  afterAll(async () => {
    await edge?.stop();
    await registry?.close();
    await Promise.all([...servers.values()].map((server) => server.kill()));
    await redis?.stop();
  });

  it('spreads requests over both registered instances, and lists them under the service in the admin API', async () => {
    expect(new Set(await answers('/echo/x', 10))).toEqual(new Set(['eu', 'us']));
    expect(failures).toEqual([]);

    const list = (await call<UpstreamList>(edge.baseUrl, '/admin/upstreams', { headers: admin })).body;
    const echo = list.upstreams.find((upstream) => upstream.name === 'echo');
    expect(echo?.discovery).toEqual({ service: SERVICE, state: 'live' });
    const zoneByUrl = Object.fromEntries(echo?.targets.map(({ url, metadata }) => [url, metadata['zone']]) ?? []);
    expect(zoneByUrl).toEqual({
      [`http://127.0.0.1:${servers.get('eu')!.port}`]: 'eu-1',
      [`http://127.0.0.1:${servers.get('us')!.port}`]: 'us-1',
    });
  });

  it('stops sending to a withdrawn instance promptly, after letting its requests in flight finish', async () => {
    const us = servers.get('us')!;
    const before = us.served;
    const slow = Array.from({ length: 4 }, () => call<EchoAnswer>(edge.baseUrl, '/echo/slow?ms=500'));
    await waitFor(() => us.served >= before + 2, { timeoutMs: PROMPTLY_MS, description: 'slow requests in flight on us' });

    await withdraw('us');
    await trafficSettlesOn('/echo/x', ['eu'], 'traffic to go to eu only');
    const finished = await Promise.all(slow);
    expect(finished.map((result) => result.status)).toEqual([200, 200, 200, 200]);
    expect(finished.filter((result) => result.body.server === 'us')).toHaveLength(2);
    expect(new Set(await answers('/echo/x', 10))).toEqual(new Set(['eu']));
    expect(failures).toEqual([]);
  });

  it('sends traffic to a newly registered instance within 2 s', async () => {
    servers.set('added', await TestUpstream.start('added'));
    const registeredAt = Date.now();
    await register('added', 'us-1');
    await waitFor(async () => (await answers('/echo/x', 2)).includes('added'), {
      timeoutMs: PROMPTLY_MS,
      description: 'the new instance to answer a request',
    });
    expect(Date.now() - registeredAt).toBeLessThan(PROMPTLY_MS);
    expect(failures).toEqual([]);
  });

  it('sends everything to the preferred zone while it has an instance, and falls back to the rest when it has none', async () => {
    expect(new Set(await answers('/zoned/x', 10))).toEqual(new Set(['eu']));

    await withdraw('eu');
    await trafficSettlesOn('/zoned/x', ['added'], 'the zoned upstream to fall back to the other zone');
    expect(new Set(await answers('/zoned/x', 10))).toEqual(new Set(['added']));

    await register('eu', 'eu-1');
    await trafficSettlesOn('/zoned/x', ['eu'], 'the zoned upstream to return to its preferred zone');
    expect(failures).toEqual([]);
  });
});
