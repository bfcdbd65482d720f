import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DiscoveryProvider, WatchSink } from './discovery-provider.js';
import { ServiceDiscovery } from './service-discovery.js';

/** A provider the test drives by hand: it records each watch's sink. */
class ScriptedProvider implements DiscoveryProvider {
  readonly kind = 'static';
  readonly sinks = new Map<string, WatchSink>();
  readonly closedWatches: string[] = [];
  closed = false;

  watch(service: string, sink: WatchSink) {
    this.sinks.set(service, sink);
    return { close: () => void this.closedWatches.push(service) };
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  sink(service: string): WatchSink {
    const sink = this.sinks.get(service);
    if (!sink) throw new Error(`${service} is not watched`);
    return sink;
  }
}

const entry = (id: string, address: string, extra: Record<string, unknown> = {}) => ({ id, value: { address, ...extra } });

describe('ServiceDiscovery', () => {
  afterEach(() => vi.restoreAllMocks());

  it('resolve waits for the first answer and returns the validated instances', async () => {
    const provider = new ScriptedProvider();
    const discovery = new ServiceDiscovery(provider);
    const resolved = discovery.resolve('svc');
    provider.sink('svc').update([entry('a', 'h:1', { weight: 2, metadata: { zone: 'z' } })]);
    expect(await resolved).toEqual([{ id: 'a', service: 'svc', address: 'h:1', weight: 2, metadata: { zone: 'z' } }]);
    expect(discovery.view('svc').state).toBe('live');
  });

  it('resolve gives up after its timeout with what it has (nothing)', async () => {
    const discovery = new ServiceDiscovery(new ScriptedProvider(), { resolveTimeoutMs: 20 });
    expect(await discovery.resolve('svc')).toEqual([]);
    expect(discovery.view('svc').state).toBe('pending');
  });

  it('watches each service once, however many listen', () => {
    const provider = new ScriptedProvider();
    const discovery = new ServiceDiscovery(provider);
    const watch = vi.spyOn(provider, 'watch');
    discovery.watch('svc', () => undefined);
    discovery.watch('svc', () => undefined);
    void discovery.resolve('svc');
    expect(watch).toHaveBeenCalledTimes(1);
  });

  it('tells listeners of real changes only, and late listeners of the current list at once', () => {
    const provider = new ScriptedProvider();
    const discovery = new ServiceDiscovery(provider);
    const heard: string[][] = [];
    discovery.watch('svc', (instances) => heard.push(instances.map((instance) => instance.address)));
    provider.sink('svc').update([entry('a', 'h:1')]);
    provider.sink('svc').update([entry('a', 'h:1')]);
    provider.sink('svc').update([entry('a', 'h:1'), entry('b', 'h:2')]);
    expect(heard).toEqual([['h:1'], ['h:1', 'h:2']]);
    const late: string[][] = [];
    discovery.watch('svc', (instances) => late.push(instances.map((instance) => instance.address)));
    expect(late).toEqual([['h:1', 'h:2']]);
  });

  it('an empty first answer is still an answer listeners hear', () => {
    const provider = new ScriptedProvider();
    const discovery = new ServiceDiscovery(provider);
    const heard: number[] = [];
    discovery.watch('svc', (instances) => heard.push(instances.length));
    provider.sink('svc').update([]);
    expect(heard).toEqual([0]);
  });

  it('skips malformed entries and duplicate ids, logging each problem once', () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const provider = new ScriptedProvider();
    const discovery = new ServiceDiscovery(provider);
    discovery.watch('svc', () => undefined);
    const bad = [entry('a', 'h:1'), { id: 'b', value: 'garbage' }, entry('a', 'h:9'), entry('c', 'no-port')];
    provider.sink('svc').update(bad);
    provider.sink('svc').update([...bad, entry('d', 'h:4')]);
    expect(discovery.view('svc').instances.map((instance) => instance.address)).toEqual(['h:1', 'h:4']);
    const logged = warn.mock.calls.map(([detail]) => (detail as { entry: string }).entry);
    expect(logged).toEqual(['b', 'c']);
  });

  it('keeps the last known list while the registry is unreachable, and says so', () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    let now = 1_000;
    const provider = new ScriptedProvider();
    const discovery = new ServiceDiscovery(provider, { clock: () => now });
    const heard: number[] = [];
    discovery.watch('svc', (instances) => heard.push(instances.length));
    provider.sink('svc').update([entry('a', 'h:1')]);
    now = 2_000;
    provider.sink('svc').unreachable(new Error('connection refused'));
    now = 3_000;
    provider.sink('svc').unreachable(new Error('connection refused'));
    expect(discovery.view('svc')).toMatchObject({ state: 'unreachable', since: 2_000, error: 'connection refused' });
    expect(discovery.view('svc').instances).toHaveLength(1);
    provider.sink('svc').update([entry('a', 'h:1')]);
    expect(discovery.view('svc')).toMatchObject({ state: 'live', since: 3_000 });
    expect(discovery.view('svc').error).toBeUndefined();
    expect(heard).toEqual([1]);
  });

  it('close ends every watch, then the provider, and refuses new services', async () => {
    const provider = new ScriptedProvider();
    const discovery = new ServiceDiscovery(provider);
    discovery.watch('a', () => undefined);
    discovery.watch('b', () => undefined);
    await discovery.close();
    expect(provider.closedWatches.sort()).toEqual(['a', 'b']);
    expect(provider.closed).toBe(true);
    expect(() => discovery.watch('c', () => undefined)).toThrow('closed');
  });
});
