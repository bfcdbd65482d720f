import { castGrpcError, Range, type Etcd3, type IDuplexStream, type IKeyValue, type IWatchRequest, type IWatchResponse } from 'etcd3';
import type { WatchSink } from '../discovery-provider.js';
import type { RegistryEntry } from '../service-instance.js';
import { registryEntry } from './etcd-keys.js';

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

/** The two calls a watch makes, so a test can play etcd's side. */
export type EtcdWatchClient = Pick<Etcd3, 'getAll' | 'watchClient'>;

/**
 * One service's watch: lists the prefix, then watches it from the revision after the list, so no
 * change falls between the two. Any failure (etcd down, stream ended, revision compacted) starts
 * over with a fresh list, after a backoff unless it was a compaction: a list is the only answer
 * that cannot have missed an event.
 */
export class EtcdWatch {
  /** The service's entries by instance id, kept current from the watch events. */
  private readonly entries = new Map<string, RegistryEntry>();
  private stream: WatchStream | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly client: EtcdWatchClient,
    private readonly servicePrefix: string,
    private readonly sink: WatchSink,
  ) {}

  start(): void {
    void this.listAndWatch();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.dropStream();
  }

  private async listAndWatch(): Promise<void> {
    try {
      const listing = await this.client.getAll().prefix(this.servicePrefix).exec();
      if (this.closed) return;
      this.entries.clear();
      for (const kv of listing.kvs) this.put(kv);
      this.sink.update([...this.entries.values()]);
      const stream = await this.client.watchClient.watch();
      this.stream = stream;
      if (this.closed) return this.dropStream();
      stream.on('data', (response) => this.received(stream, response));
      stream.on('error', (error) => this.failed(stream, castGrpcError(error)));
      stream.on('end', () => this.failed(stream, new Error('etcd ended the watch stream')));
      const range = Range.prefix(this.servicePrefix);
      stream.write({
        create_request: { key: range.start, range_end: range.end, start_revision: (BigInt(listing.header.revision) + 1n).toString() },
      });
    } catch (error) {
      this.failed(this.stream, error as Error);
    }
  }

  private received(stream: WatchStream, response: IWatchResponse): void {
    if (stream !== this.stream) return;
    if (response.canceled) {
      // A compacted start revision only means the list is too old: list again at once.
      if (Number(response.compact_revision) > 0) return this.restart(0);
      return this.failed(stream, new Error(`etcd canceled the watch: ${response.cancel_reason || 'no reason given'}`));
    }
    if (response.created) {
      this.failures = 0;
      return;
    }
    for (const event of response.events) {
      if (event.type === 'Put') this.put(event.kv);
      else this.entries.delete(event.kv.key.toString().slice(this.servicePrefix.length));
    }
    if (response.events.length > 0) this.sink.update([...this.entries.values()]);
  }

  private put(kv: IKeyValue): void {
    const entry = registryEntry(this.servicePrefix, kv.key.toString(), kv.value.toString());
    if (entry) this.entries.set(entry.id, entry);
  }

  private failed(stream: WatchStream | undefined, error: Error): void {
    if (this.closed || stream !== this.stream) return;
    this.sink.unreachable(error);
    const backoffMs = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.failures);
    this.failures += 1;
    // Jitter spreads the gateways that all lost the same etcd, so they do not relist in step.
    this.restart(backoffMs * (0.5 + Math.random() / 2));
  }

  private restart(delayMs: number): void {
    this.dropStream();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.listAndWatch(), delayMs);
  }

  /**
   * etcd keeps a watch stream open after the client half-closes it, so it must be cancelled too;
   * ending it first tells the etcd3 client the cancellation is not a failure of the host.
   */
  private dropStream(): void {
    const stream = this.stream;
    this.stream = undefined;
    stream?.end();
    stream?.cancel();
  }
}
