import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectProblem, type CallResult } from './support/http.js';
import { startDedicatedRedis } from './support/redis.js';
import { startGateway, startStack, stopAll, type Stack, type StartedGateway } from './support/stack.js';
import { bearer, token } from './support/token.js';
import { waitFor } from './support/wait-for.js';

/** `promtool check metrics` on an exposition: everything it printed and its exit code. */
function promtoolCheck(exposition: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(exposition);
  });
}

type DedicatedRedis = Awaited<ReturnType<typeof startDedicatedRedis>>;

// Two fail-open gateways share one fixed-window budget through one Redis; two more show the other
// algorithms and fail-closed. GET /api/v1/me carries no policy of its own, so the default applies.
describe('rate limiting across gateway instances', () => {
  let redis: DedicatedRedis;
  let stack: Stack;
  let second: StartedGateway;
  let sliding: StartedGateway;
  let bucket: StartedGateway;
  let inspect: Redis;
  let run = 0;

  const user = () => `rl-${process.pid}-${++run}`;
  const me = (base: string, sub: string) => call(base, '/api/v1/me', { headers: bearer(token(sub)) });
  const metric = async (base: string, line: string) => (await call(base, '/metrics')).text.split('\n').includes(line);

  beforeAll(async () => {
    redis = await startDedicatedRedis();
    inspect = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => 1_000 });
    inspect.on('error', () => undefined);
    const shared = { REDIS_URL: redis.url, RATE_LIMIT_DEFAULT: '5/1m', RATE_LIMIT_FAILURE_MODE: 'fail-open' };
    stack = await startStack({ gatewayEnv: shared });
    const backends = { playerAddress: stack.playerAddress, tableAddress: stack.tableAddress };
    [second, sliding, bucket] = await Promise.all([
      startGateway({ ...backends, env: shared }),
      startGateway({
        ...backends,
        env: { REDIS_URL: redis.url, RATE_LIMIT_DEFAULT: '3/1s', RATE_LIMIT_ALGORITHM: 'sliding-window', RATE_LIMIT_FAILURE_MODE: 'fail-closed' },
      }),
      startGateway({ ...backends, env: { REDIS_URL: redis.url, RATE_LIMIT_DEFAULT: '4/1s', RATE_LIMIT_ALGORITHM: 'token-bucket' } }),
    ]);
  });

  afterAll(async () => {
    inspect?.disconnect();
    await stopAll([second?.process, sliding?.process, bucket?.process]);
    await stack?.stop();
    await redis?.stop();
  });

  it('shares one budget across both instances and answers 429 problem with the RateLimit headers', async () => {
    const sub = user();
    const answers: CallResult[] = [];
    for (const base of [stack.baseUrl, second.baseUrl, stack.baseUrl, second.baseUrl, stack.baseUrl]) answers.push(await me(base, sub));
    expect(answers.map((answer) => answer.status)).not.toContain(429);
    expect(answers.map((answer) => answer.headers.get('ratelimit-remaining'))).toEqual(['4', '3', '2', '1', '0']);
    expect(answers[0]?.headers.get('ratelimit-limit')).toBe('5');
    expect(answers[0]?.headers.get('ratelimit-policy')).toBe('5;w=60');
    const reset = Number(answers[0]?.headers.get('ratelimit-reset'));
    expect(reset).toBeGreaterThan(0);
    expect(reset).toBeLessThanOrEqual(60);

    const limited = await me(second.baseUrl, sub);
    const problem = expectProblem(limited, 429, 'rate-limited');
    expect(problem.title).toBe('Too Many Requests');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('ratelimit-limit')).toBe('5');
  });

  it('spends nothing on rejected requests', async () => {
    const sub = user();
    for (let i = 0; i < 5; i++) expect((await me(i % 2 ? stack.baseUrl : second.baseUrl, sub)).status).not.toBe(429);
    for (let i = 0; i < 6; i++) expect((await me(i % 2 ? stack.baseUrl : second.baseUrl, sub)).status).toBe(429);
    // Hash-tagged so the key stays in one Cluster slot; the count is the five allowed requests only.
    expect(await inspect.hget(`{rl:default|user:${sub}}:fw`, 'c')).toBe('5');
  });

  it('counts each user apart, so the guard sees the principal authentication attached', async () => {
    const [alice, bob] = [user(), user()];
    for (let i = 0; i < 6; i++) await me(stack.baseUrl, alice);
    expect((await me(stack.baseUrl, alice)).status).toBe(429);
    const other = await me(stack.baseUrl, bob);
    expect(other.status).not.toBe(429);
    expect(other.headers.get('ratelimit-remaining')).toBe('4');
  });

  it('counts decisions per policy in metrics that promtool accepts', async () => {
    const exposition = (await call(stack.baseUrl, '/metrics')).text;
    expect(exposition).toMatch(/^rate_limit_decisions_total\{policy="default",outcome="allowed"\} [1-9]\d*$/m);
    expect(exposition).toMatch(/^rate_limit_decisions_total\{policy="default",outcome="limited"\} [1-9]\d*$/m);
    expect(exposition).toContain('rate_limit_degraded{mode="fail-open"} 0');
    const { code, output } = await promtoolCheck(exposition);
    expect(output.split('\n').filter((line) => line.trim() !== '')).toEqual([]);
    expect(code).toBe(0);
  });

  it('never limits health and metrics', async () => {
    for (let i = 0; i < 12; i++) {
      const live = await call(stack.baseUrl, '/health/live');
      expect(live.status).toBe(200);
      expect(live.headers.get('ratelimit-limit')).toBeNull();
      expect((await call(stack.baseUrl, '/metrics')).status).toBe(200);
    }
  });

  it('sliding window: a slot frees one window after the request that took it', async () => {
    const sub = user();
    const start = Date.now();
    for (let i = 0; i < 3; i++) expect((await me(sliding.baseUrl, sub)).status).not.toBe(429);
    const limited = await me(sliding.baseUrl, sub);
    expectProblem(limited, 429, 'rate-limited');
    expect(limited.headers.get('ratelimit-policy')).toBe('3;w=1');
    await waitFor(async () => (await me(sliding.baseUrl, sub)).status !== 429, { timeoutMs: 5_000, description: 'a sliding slot to free' });
    expect(Date.now() - start).toBeGreaterThanOrEqual(900);
  });

  it('token bucket: a burst, a 429, then a refilled token', async () => {
    const sub = user();
    const burst = [];
    for (let i = 0; i < 4; i++) burst.push((await me(bucket.baseUrl, sub)).status);
    expect(burst).not.toContain(429);
    const limited = await me(bucket.baseUrl, sub);
    expectProblem(limited, 429, 'rate-limited');
    expect(limited.headers.get('retry-after')).toBe('1');
    await waitFor(async () => (await me(bucket.baseUrl, sub)).status !== 429, { timeoutMs: 5_000, description: 'a token to refill' });
  });

  it('Redis stopped: fail-open keeps serving and still bounds a flood, fail-closed answers 503; both recover', async () => {
    const port = redis.port;
    await redis.stop();

    const sub = user();
    const open: number[] = [];
    for (let i = 0; i < 8; i++) open.push((await me(stack.baseUrl, sub)).status);
    expect(open.slice(0, 5)).not.toContain(429);
    expect(open.slice(0, 5)).not.toContain(503);
    expect(open.slice(5)).toEqual([429, 429, 429]);
    expect(await metric(stack.baseUrl, 'rate_limit_degraded{mode="fail-open"} 1')).toBe(true);
    // Log lines arrive through a pipe, after the answers: wait for the first, then check it came once.
    await stack.gateway.waitForLog((line) => line.msg === 'rate limit store unavailable: limiting on this instance only', 'the outage', 5_000);
    expect(stack.gateway.logs.filter((line) => line.msg === 'rate limit store unavailable: limiting on this instance only')).toHaveLength(1);
    expect((await call(stack.baseUrl, '/health/live')).status).toBe(200);

    const closed = await me(sliding.baseUrl, user());
    expectProblem(closed, 503, 'rate-limit-unavailable');
    expect(closed.headers.get('retry-after')).toBe('1');
    expect(await metric(sliding.baseUrl, 'rate_limit_degraded{mode="fail-closed"} 1')).toBe(true);

    redis = await startDedicatedRedis({ port });
    const afterwards = user();
    await waitFor(async () => (await me(sliding.baseUrl, afterwards)).status !== 503, { timeoutMs: 20_000, description: 'fail-closed to recover' });
    await waitFor(
      async () => {
        await me(stack.baseUrl, user());
        return metric(stack.baseUrl, 'rate_limit_degraded{mode="fail-open"} 0');
      },
      { timeoutMs: 20_000, description: 'fail-open to use Redis again' },
    );
    expect(await metric(sliding.baseUrl, 'rate_limit_degraded{mode="fail-closed"} 0')).toBe(true);
    await stack.gateway.waitForLog((line) => line.msg === 'rate limit store available again', 'the recovery', 5_000);
    // Shared again: both fail-open instances count one budget in Redis.
    const shared = user();
    await me(stack.baseUrl, shared);
    expect((await me(second.baseUrl, shared)).headers.get('ratelimit-remaining')).toBe('3');
  });
});
