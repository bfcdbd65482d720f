import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RegistryEntry } from '../service-instance.js';
import { DnsWatch, MAX_RETRY_MS, retryDelay } from './dns-watch.js';
import type { ResolvedSrvRecord } from './srv-records.js';

const REFRESH_MS = 1_000;
const ONE: ResolvedSrvRecord[] = [{ name: 'a.example', port: 5001, priority: 0, weight: 1, addresses: ['10.0.0.1'] }];

function recordingSink() {
  const events: string[] = [];
  return {
    events,
    sink: {
      update: (entries: readonly RegistryEntry[]) => events.push(`update ${entries.map((entry) => entry.id).join(',')}`),
      unreachable: (error: Error) => events.push(`unreachable ${error.message}`),
    },
  };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

describe('retryDelay', () => {
  it('starts at the refresh interval and doubles per failure up to the cap', () => {
    expect([0, 1, 2, 3].map((failures) => retryDelay(failures, 1_000))).toEqual([1_000, 1_000, 2_000, 4_000]);
    expect(retryDelay(20, 1_000)).toBe(MAX_RETRY_MS);
  });

  it('never waits less than the refresh interval, even past the cap', () => {
    expect(retryDelay(5, 60_000)).toBe(60_000);
  });
});

describe('DnsWatch', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the full list at once, then again after every refresh interval', async () => {
    const lookup = vi.fn(() => Promise.resolve(ONE));
    const { events, sink } = recordingSink();
    const watch = new DnsWatch('_grpc._tcp.player', lookup, sink, REFRESH_MS);
    watch.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['update a.example:5001']);
    await vi.advanceTimersByTimeAsync(REFRESH_MS);
    expect(lookup).toHaveBeenCalledTimes(2);
    watch.close();
  });

  it('never starts a lookup while the last one is still running', async () => {
    const pending = deferred<ResolvedSrvRecord[]>();
    const lookup = vi.fn(() => pending.promise);
    const { events, sink } = recordingSink();
    const watch = new DnsWatch('_grpc._tcp.player', lookup, sink, REFRESH_MS);
    watch.start();
    await vi.advanceTimersByTimeAsync(REFRESH_MS * 10);
    expect(lookup).toHaveBeenCalledTimes(1);
    pending.resolve(ONE);
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['update a.example:5001']);
    await vi.advanceTimersByTimeAsync(REFRESH_MS);
    expect(lookup).toHaveBeenCalledTimes(2);
    watch.close();
  });

  it('reports DNS unreachable, retries with backoff, and sends a fresh list once it answers', async () => {
    const starts: number[] = [];
    let failures = 3;
    const lookup = vi.fn(() => {
      starts.push(Date.now());
      return failures-- > 0 ? Promise.reject(new Error('querySrv ETIMEOUT _grpc._tcp.player')) : Promise.resolve(ONE);
    });
    const { events, sink } = recordingSink();
    const watch = new DnsWatch('_grpc._tcp.player', lookup, sink, REFRESH_MS);
    const startedAt = Date.now();
    watch.start();
    await vi.advanceTimersByTimeAsync(REFRESH_MS * 7);
    expect(starts.map((at) => at - startedAt)).toEqual([0, REFRESH_MS, REFRESH_MS * 3, REFRESH_MS * 7]);
    expect(events).toEqual([
      'unreachable querySrv ETIMEOUT _grpc._tcp.player',
      'unreachable querySrv ETIMEOUT _grpc._tcp.player',
      'unreachable querySrv ETIMEOUT _grpc._tcp.player',
      'update a.example:5001',
    ]);
    await vi.advanceTimersByTimeAsync(REFRESH_MS);
    expect(lookup).toHaveBeenCalledTimes(5);
    watch.close();
  });

  it('stops when closed: an answer still in flight is dropped and nothing is scheduled', async () => {
    const pending = deferred<ResolvedSrvRecord[]>();
    const lookup = vi.fn(() => pending.promise);
    const { events, sink } = recordingSink();
    const watch = new DnsWatch('_grpc._tcp.player', lookup, sink, REFRESH_MS);
    watch.start();
    watch.close();
    pending.resolve(ONE);
    await vi.advanceTimersByTimeAsync(REFRESH_MS * 10);
    expect(events).toEqual([]);
    expect(lookup).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
