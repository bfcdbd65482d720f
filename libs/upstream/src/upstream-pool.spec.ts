import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HealthProbe } from './health-check.js';
import type { Target, TargetInit } from './target.js';
import { UpstreamPool, type TargetTransition, type UpstreamPoolOptions } from './upstream-pool.js';

/** Cockatiel learns a verdict through promises; a macrotask later it has acted on all of them. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

const breaker = { failureThreshold: 1, openMs: 5_000, halfOpenRequests: 1 };
const checks = { intervalMs: 1_000, timeoutMs: 100, healthyThreshold: 1, unhealthyThreshold: 1 };

function poolOf(addresses: readonly (string | TargetInit)[], options: Partial<UpstreamPoolOptions> = {}) {
  let now = 0;
  const transitions: string[] = [];
  const pool = new UpstreamPool(
    'players',
    addresses.map((entry) => (typeof entry === 'string' ? { address: entry } : entry)),
    { balancer: 'round-robin', clock: () => now, ...options },
  );
  pool.onTransition((event) => transitions.push(summary(event)));
  const advance = (ms: number) => (now += ms);
  const target = (address: string) => pool.targets.find((candidate) => candidate.address === address)!;
  return { pool, transitions, advance, target };
}

function summary(event: TargetTransition): string {
  return `${event.target.address} ${event.kind} ${event.from} -> ${event.to}`;
}

function picks(pool: UpstreamPool, count: number, options?: Parameters<UpstreamPool['pick']>[0]): (string | undefined)[] {
  return Array.from({ length: count }, () => pool.pick(options)?.address);
}

/** Fails one call on the target and waits until its breaker has heard. */
async function failOnce(pool: UpstreamPool, target: Target): Promise<void> {
  pool.acquire(target)?.fail();
  await settled();
}

/** A probe that finds the listed addresses down and every other one up. */
const downProbe =
  (...down: string[]): HealthProbe =>
  (target) =>
    Promise.resolve(!down.includes(target.address));

describe('UpstreamPool', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('spreads calls with its balancer over the targets', () => {
    const { pool } = poolOf(['a', 'b', 'c']);
    expect(picks(pool, 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('skips the targets a request has tried, and has nothing once all are tried', () => {
    const { pool, target } = poolOf(['a', 'b', 'c']);
    expect(picks(pool, 4, { exclude: new Set([target('b')]) })).toEqual(['a', 'c', 'a', 'c']);
    expect(pool.pick({ exclude: new Set(pool.targets) })).toBeUndefined();
  });

  it('prefers matching targets while one of them is available, and falls back to all', () => {
    const zone = (address: string, name: string) => ({ address, metadata: { zone: name } });
    const { pool, target } = poolOf([zone('a', 'eu-1'), zone('b', 'eu-2'), zone('c', 'eu-1')]);
    const sameZone = (candidate: Target) => candidate.metadata.zone === 'eu-1';
    expect(picks(pool, 4, { prefer: sameZone })).toEqual(['a', 'c', 'a', 'c']);
    expect(pool.pick({ prefer: sameZone, exclude: new Set([target('a'), target('c')]) })?.address).toBe('b');
  });

  it('passes the key to the balancer', () => {
    const { pool } = poolOf(['a', 'b', 'c', 'd'], { balancer: 'ip-hash' });
    const first = pool.pick({ key: '203.0.113.9' });
    expect(picks(pool, 5, { key: '203.0.113.9' })).toEqual(Array(5).fill(first?.address));
  });

  it('leaves out a target whose circuit is open until its open period has passed', async () => {
    const { pool, target, advance, transitions } = poolOf(['a', 'b'], { circuitBreaker: breaker });
    await failOnce(pool, target('a'));
    expect(target('a').available).toBe(false);
    expect(picks(pool, 3)).toEqual(['b', 'b', 'b']);
    expect(pool.acquire(target('a'))).toBeUndefined();
    advance(5_000);
    expect(target('a').available).toBe(true);
    expect(pool.acquire(target('a'))).toBeDefined();
    // The half-open permit is taken synchronously: the next request cannot get it.
    expect(target('a').circuit).toBe('half-open');
    expect(target('a').available).toBe(false);
    expect(transitions).toEqual(['a circuit closed -> open', 'a circuit open -> half-open']);
  });

  it('counts calls in flight per target', () => {
    const { pool, target } = poolOf(['a']);
    const leases = [pool.acquire(target('a')), pool.acquire(target('a'))];
    expect(target('a').inFlight).toBe(2);
    leases[0]?.release();
    leases[0]?.fail();
    expect(target('a').inFlight).toBe(1);
  });

  it('answers when a target may be back, for Retry-After', async () => {
    const { pool, target, advance } = poolOf(['a', 'b', 'c'], { circuitBreaker: breaker });
    expect(pool.retryAfterMs()).toBe(1_000);
    await failOnce(pool, target('a'));
    advance(2_000);
    await failOnce(pool, target('b'));
    advance(500);
    expect(pool.retryAfterMs()).toBe(2_500);
  });

  it('does not promise the return of a target that is unhealthy', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { pool, target } = poolOf(['a'], {
      circuitBreaker: breaker,
      healthCheck: { ...checks, probe: downProbe('a') },
    });
    await failOnce(pool, target('a'));
    pool.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(pool.retryAfterMs()).toBe(1_000);
    pool.close();
  });

  it('leaves out unhealthy targets and tells listeners, until they unsubscribe', async () => {
    vi.useFakeTimers();
    let down = ['b'];
    const { pool, transitions } = poolOf(['a', 'b', 'c'], {
      healthCheck: { ...checks, probe: (target) => Promise.resolve(!down.includes(target.address)) },
    });
    const later: TargetTransition[] = [];
    const unsubscribe = pool.onTransition((event) => later.push(event));
    pool.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(picks(pool, 4)).toEqual(['a', 'c', 'a', 'c']);
    expect(transitions).toEqual(['a health unknown -> healthy', 'b health unknown -> unhealthy', 'c health unknown -> healthy']);
    unsubscribe();
    down = [];
    await vi.advanceTimersByTimeAsync(1_000);
    expect(transitions.at(-1)).toBe('b health unhealthy -> healthy');
    expect(later).toHaveLength(3);
    pool.close();
  });

  it('does not probe without a health check, nor after close', async () => {
    vi.useFakeTimers();
    const probe = vi.fn(downProbe());
    const { pool } = poolOf(['a'], { healthCheck: { ...checks, probe } });
    pool.close();
    pool.close();
    pool.start();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probe).not.toHaveBeenCalled();
    const unchecked = poolOf(['a']).pool;
    unchecked.start();
    expect(unchecked.targets[0]?.health).toBe('unknown');
  });

  it('aborts probes in progress on close', () => {
    vi.useFakeTimers();
    const signals: AbortSignal[] = [];
    const { pool } = poolOf(['a', 'b'], {
      healthCheck: { ...checks, probe: (_, signal) => (signals.push(signal), new Promise(() => undefined)) },
    });
    pool.start();
    pool.close();
    expect(signals.map((signal) => signal.aborted)).toEqual([true, true]);
  });

  it('rejects a weight that is not positive', () => {
    expect(() => poolOf([{ address: 'a', weight: 0 }])).toThrow(RangeError);
  });
});

describe('UpstreamPool.replaceTargets', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps the state of the addresses that stay and starts new ones unknown', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { pool, target } = poolOf(['a', 'b'], {
      circuitBreaker: breaker,
      healthCheck: { ...checks, probe: downProbe('b') },
    });
    pool.start();
    await vi.advanceTimersByTimeAsync(0);
    const lease = pool.acquire(target('a'));
    await failOnce(pool, target('a'));
    const before = target('a');

    pool.replaceTargets([{ address: 'a' }, { address: 'b', weight: 2 }, { address: 'c' }]);

    expect(target('a')).toBe(before);
    expect(target('a')).toMatchObject({ inFlight: 1, circuit: 'open', health: 'healthy' });
    expect(target('b')).toMatchObject({ weight: 2, health: 'unhealthy' });
    expect(target('c')).toMatchObject({ inFlight: 0, circuit: 'closed', health: 'unknown' });
    lease?.succeed();
    expect(target('a').inFlight).toBe(0);
    pool.close();
  });

  it('gives a target a new object, sharing its state, when its weight or metadata change', () => {
    const { pool, target } = poolOf([{ address: 'a', metadata: { zone: 'eu-1' } }]);
    const before = target('a');
    const lease = pool.acquire(before);
    pool.replaceTargets([{ address: 'a', metadata: { zone: 'eu-2' } }]);
    expect(target('a')).not.toBe(before);
    expect(target('a').metadata).toEqual({ zone: 'eu-2' });
    lease?.release();
    expect(target('a').inFlight).toBe(0);
  });

  it('stops probing removed targets, probes new ones once started, and refuses calls on targets that left', async () => {
    vi.useFakeTimers();
    const probe = vi.fn(downProbe());
    const { pool, target } = poolOf(['a', 'b'], { healthCheck: { ...checks, probe } });
    pool.start();
    await vi.advanceTimersByTimeAsync(0);
    const removed = target('b');
    probe.mockClear();
    pool.replaceTargets([{ address: 'a' }, { address: 'c' }]);
    await vi.advanceTimersByTimeAsync(3_000);
    const probed = probe.mock.calls.map(([probedTarget]) => probedTarget.address);
    expect(probed.filter((address) => address === 'b')).toEqual([]);
    expect(probed.filter((address) => address === 'c')).toHaveLength(4);
    expect(pool.acquire(removed)).toBeUndefined();
    expect(pool.targets.map((kept) => kept.address)).toEqual(['a', 'c']);
    pool.close();
  });

  it('rejects a list naming an address twice and leaves the pool as it was', () => {
    const { pool } = poolOf(['a', 'b']);
    const before = pool.targets;
    expect(() => pool.replaceTargets([{ address: 'a', weight: 3 }, { address: 'c' }, { address: 'c' }])).toThrow(
      'upstream players: target c is listed twice',
    );
    expect(pool.targets).toBe(before);
    expect(pool.targets[0]?.weight).toBe(1);
  });
});
