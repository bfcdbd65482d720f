import { Logger } from '@nestjs/common';
import { ApiException, type DiscoveryV1Api, type V1EndpointSlice, type Watch } from '@kubernetes/client-node';
import type { WatchSink } from '../discovery-provider.js';
import { sliceEndpoints } from './kubernetes-endpoints.js';

export interface EndpointSliceWatchOptions {
  api: DiscoveryV1Api;
  watcher: Watch;
  namespace: string;
  service: string;
  portName: string | undefined;
  retry: { initialMs: number; maxMs: number };
}

/** How a watch stream ended, and so what comes next. */
type StreamEnd = { kind: 'resume' } | { kind: 'expired' } | { kind: 'failed'; error: Error };

/**
 * The EndpointSlices of one Service, kept current the way client-go's reflector does: list, then
 * watch from the list's resourceVersion (bookmarks keep it fresh), resume the watch where it ended,
 * relist when the server says that version expired (410), and relist after a backoff when the API
 * server cannot be read.
 *
 * Built on the client's `Watch` rather than its `ListWatch` informer, which cannot be stopped
 * cleanly: its reconnect delay cannot be cancelled, a stop during a list or a connect still opens
 * the next watch, and it resumes from the old resourceVersion after an error instead of relisting.
 */
export class EndpointSliceWatch {
  private readonly logger = new Logger('discovery');
  private readonly slices = new Map<string, V1EndpointSlice>();
  private readonly path: string;
  private readonly labelSelector: string;
  /** Says in every error what could not be read. */
  private readonly reading: string;
  /** Where the next watch starts; undefined when the next step must be a full list. */
  private resourceVersion: string | undefined;
  private failures = 0;
  private closed = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stream: AbortController | undefined;
  /** What an ERROR event said; acted on when its stream ends. */
  private streamEnd: StreamEnd | undefined;
  private reportedProblems = '';

  constructor(
    private readonly options: EndpointSliceWatchOptions,
    private readonly sink: WatchSink,
  ) {
    this.path = `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(options.namespace)}/endpointslices`;
    this.labelSelector = `kubernetes.io/service-name=${options.service}`;
    this.reading = `reading EndpointSlices of ${options.namespace}/${options.service}`;
  }

  start(): void {
    this.next(0);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.stream?.abort();
    this.stream = undefined;
  }

  private next(delayMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.step(), delayMs);
  }

  private async step(): Promise<void> {
    try {
      if (this.resourceVersion === undefined) await this.list();
      if (this.closed || this.resourceVersion === undefined) return;
      await this.watchFrom(this.resourceVersion);
    } catch (error) {
      this.failed(explained(error, this.reading));
    }
  }

  private async list(): Promise<void> {
    const { namespace } = this.options;
    const list = await this.options.api.listNamespacedEndpointSlice({ namespace, labelSelector: this.labelSelector });
    if (this.closed) return;
    this.slices.clear();
    for (const slice of list.items ?? []) {
      const name = slice.metadata?.name;
      if (name !== undefined) this.slices.set(name, slice);
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    this.deliver();
  }

  private async watchFrom(resourceVersion: string): Promise<void> {
    // `Watch.watch` reports a failure to connect through `done` before it returns, and the end of
    // a stream that did connect after: that is how a connect timeout is told from a quiet stream.
    const attempt = { ended: false, streaming: false };
    const stream = await this.options.watcher.watch(
      this.path,
      { labelSelector: this.labelSelector, resourceVersion, allowWatchBookmarks: true },
      (type: string, object: unknown) => this.received(type, object),
      (error: unknown) => {
        attempt.ended = true;
        this.ended(error, attempt.streaming);
      },
    );
    if (attempt.ended) return;
    if (this.closed) {
      stream.abort();
      return;
    }
    attempt.streaming = true;
    this.stream = stream;
    this.failures = 0;
  }

  private received(type: string, object: unknown): void {
    if (this.closed || typeof object !== 'object' || object === null) return;
    const version = (object as V1EndpointSlice).metadata?.resourceVersion;
    const name = (object as V1EndpointSlice).metadata?.name;
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED':
        if (name === undefined) return;
        if (type === 'DELETED') this.slices.delete(name);
        else this.slices.set(name, object as V1EndpointSlice);
        if (version !== undefined) this.resourceVersion = version;
        this.deliver();
        return;
      case 'BOOKMARK':
        if (version !== undefined) this.resourceVersion = version;
        return;
      case 'ERROR': {
        // A Status; the server ends the stream after it, but stop reading now either way.
        const status = object as { code?: number; reason?: string; message?: string };
        this.streamEnd =
          status.code === 410
            ? { kind: 'expired' }
            : { kind: 'failed', error: new Error(`${this.reading}: the watch failed with ${status.code ?? '?'} ${status.reason ?? ''}: ${status.message ?? ''}`) };
        this.stream?.abort();
        return;
      }
    }
  }

  private ended(error: unknown, streaming: boolean): void {
    this.stream = undefined;
    if (this.closed) return;
    const end = this.streamEnd ?? classify(error, streaming, this.reading);
    this.streamEnd = undefined;
    switch (end.kind) {
      case 'resume':
        // The server's watch timeout or the client's inactivity timeout: nothing was missed.
        this.next(this.options.retry.initialMs);
        return;
      case 'expired':
        this.resourceVersion = undefined;
        this.next(0);
        return;
      case 'failed':
        this.failed(end.error);
        return;
    }
  }

  /** Reported, then retried from a full list: the recovery delivers the whole current list. */
  private failed(error: Error): void {
    if (this.closed) return;
    this.sink.unreachable(error);
    this.resourceVersion = undefined;
    const { initialMs, maxMs } = this.options.retry;
    this.next(Math.min(initialMs * 2 ** this.failures, maxMs));
    this.failures += 1;
  }

  private deliver(): void {
    const { entries, problems } = sliceEndpoints(this.slices.values(), this.options.portName);
    const report = problems.join('; ');
    if (problems.length > 0 && report !== this.reportedProblems) {
      this.logger.warn({ service: this.options.service, problems }, 'ignoring unusable EndpointSlice endpoints');
    }
    this.reportedProblems = report;
    this.sink.update(entries);
  }
}

function classify(error: unknown, streaming: boolean, doing: string): StreamEnd {
  if (error === null || error === undefined) return { kind: 'resume' };
  if ((error as { statusCode?: number }).statusCode === 410) return { kind: 'expired' };
  if (streaming && (error as Error).name === 'TimeoutError') return { kind: 'resume' };
  return { kind: 'failed', error: explained(error, doing) };
}

/** One line saying what failed: the HTTP status the API server answered, or the network error under fetch's "fetch failed". */
function explained(error: unknown, doing: string): Error {
  if (error instanceof ApiException) return new Error(`${doing}: the API server answered HTTP ${error.code}`);
  const statusCode = (error as { statusCode?: number }).statusCode;
  if (statusCode !== undefined) return new Error(`${doing}: the API server answered HTTP ${statusCode} ${(error as Error).message}`);
  if (!(error instanceof Error)) return new Error(`${doing}: ${String(error)}`);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return new Error(`${doing}: ${error.message}${cause}`);
}
