import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpForwarder } from './http-forwarder.js';
import { HttpUpstream, type HttpUpstreamSpec } from './http-upstream.js';
import { ProxyMetrics } from './proxy-metrics.js';

/** A local HTTP server that answers its name; `/held` answers only once `release()` is called. */
interface NamedServer {
  name: string;
  url: string;
  /** Requests to `/held` received and not answered yet. */
  held: number;
  release(): void;
  kill(): Promise<void>;
}

async function serve(name: string): Promise<NamedServer> {
  const waiting: (() => void)[] = [];
  const server: Server = createServer((request, response) => {
    const answer = () => response.end(name);
    if (request.url === '/held') waiting.push(answer);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    get held() {
      return waiting.length;
    },
    release: () => waiting.splice(0).forEach((answer) => answer()),
    kill: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function specOf(extra: Partial<HttpUpstreamSpec>): HttpUpstreamSpec {
  return {
    balancer: 'round-robin',
    timeout: { connectMs: 1_000, requestMs: 5_000 },
    retries: { attempts: 1, backoffMs: 0, maxBackoffMs: 0, budgetRatio: 1 },
    maxConnectionsPerTarget: 4,
    host: 'upstream',
    ...extra,
  };
}

const forwarder = new HttpForwarder(new ProxyMetrics(new Registry(), () => []));

/** Forwards a body-less GET and resolves with the body of the answer, i.e. the name of the server that gave it. */
async function forward(upstream: HttpUpstream, path = '/'): Promise<string> {
  const chunks: Buffer[] = [];
  await forwarder.forward(
    upstream,
    {
      raw: { headers: {} } as IncomingMessage,
      method: 'GET',
      path,
      headers: {},
      host: undefined,
      clientKey: '127.0.0.1',
      timeoutMs: 5_000,
      retryAttempts: upstream.spec.retries.attempts,
      retryNonIdempotent: false,
      bodyLimitBytes: 0,
      abort: new AbortController(),
    },
    () =>
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk);
          callback();
        },
      }),
  );
  return Buffer.concat(chunks).toString('utf8');
}

describe('HttpUpstream', () => {
  const servers: NamedServer[] = [];
  const upstreams: HttpUpstream[] = [];
  const start = async (name: string) => {
    const server = await serve(name);
    servers.push(server);
    return server;
  };
  const open = (spec: HttpUpstreamSpec) => {
    const upstream = new HttpUpstream('players', spec);
    upstreams.push(upstream);
    return upstream;
  };

  afterEach(async () => {
    await Promise.all(upstreams.splice(0).map((upstream) => upstream.close()));
    for (const server of servers) server.release();
    await Promise.all(servers.splice(0).map((server) => server.kill()));
  });

  it('sends every request to the preferred targets while one is available, then to the others', async () => {
    const [near, far] = await Promise.all([start('near'), start('far')]);
    const upstream = open(
      specOf({
        targets: [
          { url: far.url, weight: 1, metadata: { zone: 'us-1' } },
          { url: near.url, weight: 1, metadata: { zone: 'eu-1' } },
        ],
        prefer: { zone: 'eu-1' },
        circuitBreaker: { failureThreshold: 1, openMs: 60_000, halfOpenRequests: 1 },
      }),
    );
    const answers = async (count: number) => Promise.all(Array.from({ length: count }, () => forward(upstream)));
    expect(new Set(await answers(6))).toEqual(new Set(['near']));

    await near.kill();
    // The first request finds near refusing, opens its circuit and is retried on far; the rest go to far at once.
    expect(new Set(await answers(6))).toEqual(new Set(['far']));
    expect(upstream.pool.targets.find((target) => target.address === near.url)?.circuit).toBe('open');
  });

  it('starts without targets when the spec has none, and serves the ones it is given', async () => {
    const one = await start('one');
    const upstream = open(specOf({}));
    expect(upstream.pool.targets).toEqual([]);
    await upstream.replaceTargets([{ address: one.url, metadata: { zone: 'eu-1' } }]);
    expect(await forward(upstream)).toBe('one');
    expect(upstream.pool.targets[0]?.metadata).toEqual({ zone: 'eu-1' });
  });

  it('keeps the state of targets that stay when the list changes', async () => {
    const [one, two] = await Promise.all([start('one'), start('two')]);
    const upstream = open(specOf({ targets: [{ url: one.url, weight: 1 }] }));
    const staying = upstream.pool.targets[0]!;
    const lease = upstream.pool.acquire(staying);

    await upstream.replaceTargets([{ address: one.url }, { address: two.url, weight: 3 }]);
    expect(upstream.pool.targets.map((target) => [target.address, target.weight])).toEqual([
      [one.url, 1],
      [two.url, 3],
    ]);
    expect(upstream.pool.targets[0]).toBe(staying);
    expect(staying.inFlight).toBe(1);
    lease?.succeed();
  });

  it('lets a departed target finish its in-flight request before its connections close', async () => {
    const [leaving, staying] = await Promise.all([start('leaving'), start('staying')]);
    const upstream = open(
      specOf({ targets: [{ url: leaving.url, weight: 1 }], retries: { attempts: 0, backoffMs: 0, maxBackoffMs: 0, budgetRatio: 1 } }),
    );
    const events: string[] = [];
    const inFlight = forward(upstream, '/held').then((body) => events.push(`answered by ${body}`));
    await expect.poll(() => leaving.held, { timeout: 2_000 }).toBe(1);

    const closed = upstream.replaceTargets([{ address: staying.url }]).then(() => events.push('closed'));
    // A whole round trip to the new target: time enough for a close that did not wait to have ended.
    expect(await forward(upstream)).toBe('staying');
    expect(events).toEqual([]);
    leaving.release();
    await Promise.all([inFlight, closed]);
    expect(events.sort()).toEqual(['answered by leaving', 'closed']);
  });
});
