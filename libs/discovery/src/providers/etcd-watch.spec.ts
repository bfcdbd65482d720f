import { EventEmitter } from 'node:events';
import type { IKeyValue, IRangeResponse, IWatchRequest, IWatchResponse } from 'etcd3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WatchSink } from '../discovery-provider.js';
import type { RegistryEntry } from '../service-instance.js';
import { EtcdWatch, type EtcdWatchClient } from './etcd-watch.js';

const PREFIX = '/p/discovery/svc/';

class FakeStream extends EventEmitter {
  readonly written: IWatchRequest[] = [];
  ended = false;
  cancelled = false;
  write(request: IWatchRequest): void {
    this.written.push(request);
  }
  end(): void {
    this.ended = true;
  }
  cancel(): void {
    // Cancelling a stream that is still writable would count against the etcd host in the client.
    if (!this.ended) throw new Error('a watch must end its stream before cancelling it');
    this.cancelled = true;
  }
}

function kv(id: string, value: string): IKeyValue {
  return { key: Buffer.from(`${PREFIX}${id}`), value: Buffer.from(value), create_revision: '1', mod_revision: '1', version: '1', lease: '0' };
}

function listing(revision: number, ...kvs: IKeyValue[]): IRangeResponse {
  return { header: { revision: String(revision) } as IRangeResponse['header'], kvs, more: false, count: String(kvs.length) };
}

function response(fields: Partial<IWatchResponse>): IWatchResponse {
  return { header: {} as IWatchResponse['header'], watch_id: '1', created: false, canceled: false, compact_revision: '0', cancel_reason: '', fragment: false, events: [], ...fields };
}

/** Plays etcd: answers lists from `answers` in order and hands out fake watch streams. */
function fakeEtcd(answers: Array<IRangeResponse | Error>) {
  const streams: FakeStream[] = [];
  let lists = 0;
  const client = {
    getAll: () => ({
      prefix: () => ({
        exec: () => {
          lists += 1;
          const answer = answers.shift();
          if (!answer) return Promise.reject(new Error('no answer scripted'));
          return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
        },
      }),
    }),
    watchClient: {
      watch: () => {
        const stream = new FakeStream();
        streams.push(stream);
        return Promise.resolve(stream);
      },
    },
  } as unknown as EtcdWatchClient;
  return { client, streams, lists: () => lists };
}

function recordingSink() {
  const updates: RegistryEntry[][] = [];
  const errors: string[] = [];
  const sink: WatchSink = { update: (entries) => updates.push([...entries]), unreachable: (error) => errors.push(error.message) };
  return { sink, updates, errors };
}

const ids = (entries: RegistryEntry[] | undefined) => entries?.map((entry) => entry.id).sort();

describe('EtcdWatch', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('sends the listed entries, watches from the next revision, and sends the whole list on every change', async () => {
    const etcd = fakeEtcd([listing(41, kv('a', '{"address":"10.0.0.1:1"}'), kv('nested/x', '{}'))]);
    const { sink, updates } = recordingSink();
    const watch = new EtcdWatch(etcd.client, PREFIX, sink);
    watch.start();
    await vi.waitFor(() => expect(etcd.streams).toHaveLength(1));

    expect(ids(updates[0])).toEqual(['a']);
    const create = etcd.streams[0]!.written[0]!.create_request!;
    expect(create.key?.toString()).toBe(PREFIX);
    expect(create.range_end?.toString()).toBe('/p/discovery/svc0');
    expect(create.start_revision).toBe('42');

    const stream = etcd.streams[0]!;
    stream.emit('data', response({ created: true }));
    stream.emit('data', response({ events: [{ type: 'Put', kv: kv('b', 'not json'), prev_kv: kv('b', '') }] }));
    expect(updates[1]).toEqual([{ id: 'a', value: { address: '10.0.0.1:1' } }, { id: 'b', value: 'not json' }]);
    stream.emit('data', response({ events: [{ type: 'Delete', kv: kv('a', ''), prev_kv: kv('a', '') }] }));
    expect(ids(updates[2])).toEqual(['b']);
    watch.close();
    expect(stream.cancelled).toBe(true);
  });

  it('lists again at once when its start revision was compacted, without reporting etcd unreachable', async () => {
    const etcd = fakeEtcd([listing(5, kv('old', '{}')), listing(90, kv('new', '{}'))]);
    const { sink, updates, errors } = recordingSink();
    const watch = new EtcdWatch(etcd.client, PREFIX, sink);
    watch.start();
    await vi.waitFor(() => expect(etcd.streams).toHaveLength(1));

    etcd.streams[0]!.emit('data', response({ created: true, canceled: true, compact_revision: '50', cancel_reason: 'compacted' }));
    await vi.waitFor(() => expect(etcd.streams).toHaveLength(2));
    expect(etcd.streams[0]!.cancelled).toBe(true);
    expect(ids(updates.at(-1))).toEqual(['new']);
    expect(etcd.streams[1]!.written[0]!.create_request!.start_revision).toBe('91');
    expect(errors).toEqual([]);
    watch.close();
  });

  it('reports a lost stream or a refused list as unreachable and relists after a doubling backoff, reset once a watch is created', async () => {
    vi.useFakeTimers();
    // The jitter at its lowest: each wait is exactly half the backoff (125, 250, 500 ms...).
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const refused = new Error('connection refused');
    const etcd = fakeEtcd([listing(1, kv('a', '{}')), refused, refused, listing(7, kv('b', '{}')), listing(9)]);
    const { sink, updates, errors } = recordingSink();
    const watch = new EtcdWatch(etcd.client, PREFIX, sink);
    watch.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(etcd.streams).toHaveLength(1);

    etcd.streams[0]!.emit('error', new Error('stream broke'));
    // Ending a failed stream afterwards is not a second failure.
    etcd.streams[0]!.emit('end');
    expect(errors).toEqual(['stream broke']);
    const relistsAfter = async (waitMs: number) => {
      const before = etcd.lists();
      await vi.advanceTimersByTimeAsync(waitMs - 1);
      expect(etcd.lists()).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(etcd.lists()).toBe(before + 1);
    };
    await relistsAfter(125);
    expect(errors).toEqual(['stream broke', 'connection refused']);
    await relistsAfter(250);
    await relistsAfter(500);
    expect(ids(updates.at(-1))).toEqual(['b']);

    etcd.streams[1]!.emit('data', response({ created: true }));
    etcd.streams[1]!.emit('end');
    expect(errors.at(-1)).toBe('etcd ended the watch stream');
    await relistsAfter(125);
    watch.close();
  });

  it('reports a watch etcd canceled for another reason, such as a permission it lacks', async () => {
    const etcd = fakeEtcd([listing(1)]);
    const { sink, errors } = recordingSink();
    const watch = new EtcdWatch(etcd.client, PREFIX, sink);
    watch.start();
    await vi.waitFor(() => expect(etcd.streams).toHaveLength(1));
    etcd.streams[0]!.emit('data', response({ created: true, canceled: true, cancel_reason: 'permission denied' }));
    expect(errors).toEqual(['etcd canceled the watch: permission denied']);
    watch.close();
  });

  it('stops for good on close: no pending relist runs and no update arrives', async () => {
    vi.useFakeTimers();
    const etcd = fakeEtcd([new Error('down'), listing(3, kv('a', '{}'))]);
    const { sink, updates } = recordingSink();
    const watch = new EtcdWatch(etcd.client, PREFIX, sink);
    watch.start();
    await vi.advanceTimersByTimeAsync(0);
    watch.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(etcd.lists()).toBe(1);
    expect(updates).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
