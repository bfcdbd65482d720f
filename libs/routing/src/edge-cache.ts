import type { IncomingHttpHeaders } from 'node:http';
import { Writable } from 'node:stream';
import { cacheableRequest, cacheHeaders, matchesIfNoneMatch, type ResponseCache, type CachedResponse, type CacheLookup, type CachePolicy } from '@portico/cache';
import type { HeaderMap, ResponseSink } from '@portico/proxy';
import type { EdgeExchange } from './edge-exchange.js';

/** Sends the request upstream, streaming the answer into what `sink` returns; `abort` cancels it. */
export type UpstreamCall = (sink: ResponseSink, abort: AbortController) => Promise<void>;

/** How the proxy answers a client: the headers it sends for an upstream's, and where the body goes once the head is written. */
export interface ClientResponse {
  headers: (upstream: IncomingHttpHeaders) => HeaderMap;
  open: (status: number, headers: HeaderMap) => Writable;
}

/** The body of an upstream answer so far; no chunks once it outgrew the entry limit. */
interface Capture {
  chunks: Buffer[] | undefined;
  size: number;
}

/**
 * Passes every chunk on to `target` with its backpressure, keeping a copy while the body stays under
 * `maxBytes`. The copy counts only if the body ended normally (`final`), never after a failure; then
 * `complete` runs before the client's response ends, so a client that reads again after a MISS finds
 * the entry stored.
 */
function tee(target: Writable, capture: Capture, maxBytes: number, complete: () => Promise<void>): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (capture.chunks) {
        capture.size += chunk.length;
        if (capture.size > maxBytes) capture.chunks = undefined;
        else capture.chunks.push(chunk);
      }
      if (target.write(chunk)) callback();
      else target.once('drain', () => callback());
    },
    final(callback) {
      void complete().finally(() => target.end(() => callback()));
    },
    destroy(error, callback) {
      if (!target.writableFinished) target.destroy(error ?? undefined);
      callback(error);
    },
  });
}

/** Where a background refresh's body goes besides the copy: nowhere, there is no client. */
const discard = () =>
  new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });

/**
 * Route-file caching, after authentication: fresh and stale entries are answered without touching
 * the upstream; a miss streams the upstream answer to the client while a copy is kept, and the copy
 * is stored only when the body completed, fits the entry limit and the rules allow it.
 */
export class EdgeCache {
  constructor(private readonly cache: ResponseCache) {}

  /** Answers `request` from the cache, or through `call` into `client` (with a copy kept when it may be stored). */
  async serve(
    policy: CachePolicy,
    exchange: EdgeExchange,
    user: string | undefined,
    call: UpstreamCall,
    abort: AbortController,
    client: ClientResponse,
  ): Promise<void> {
    const lookup = await this.cache.lookup(policy, { ...cacheableRequest({ method: exchange.method, url: exchange.url, headers: exchange.request.headers }), user });
    const direct: ResponseSink = (status, headers) => client.open(status, client.headers(headers));
    switch (lookup.state) {
      case 'fresh':
        return this.answer(lookup.entry as CachedResponse, 'HIT', exchange);
      case 'stale':
        void this.cache.revalidate(policy, lookup, () => this.produce(policy, lookup, call, new AbortController(), client.headers, discard));
        return this.answer(lookup.entry as CachedResponse, 'STALE', exchange);
      case 'bypass':
        exchange.setHeaders({ 'x-cache': 'BYPASS' });
        return call(direct, abort);
      case 'miss':
        exchange.setHeaders({ 'x-cache': 'MISS' });
        // A HEAD answer has no body to store.
        if (exchange.method === 'HEAD') return call(direct, abort);
    }
    const { leader, result } = this.cache.fill(policy, lookup.key, () => this.produce(policy, lookup, call, abort, client.headers, client.open));
    const entry = await result;
    if (leader) return;
    return entry ? this.answer(entry, 'MISS', exchange) : call(direct, abort);
  }

  /** One upstream call whose answer goes to `open` and, when it may be stored, into the cache. */
  private async produce(
    policy: CachePolicy,
    lookup: CacheLookup,
    call: UpstreamCall,
    abort: AbortController,
    shape: ClientResponse['headers'],
    open: ClientResponse['open'],
  ): Promise<CachedResponse | undefined> {
    let entry: CachedResponse | undefined;
    await call((status, upstreamHeaders) => {
      const headers = shape(upstreamHeaders);
      const target = open(status, headers);
      if (!this.cache.mayStore(lookup, status, headers)) return target;
      const capture: Capture = { chunks: [], size: 0 };
      return tee(target, capture, this.cache.maxEntryBytes, async () => {
        if (!capture.chunks) return this.cache.refused(policy, 'too-large');
        entry = this.cache.entryFor(policy, lookup, { status, headers, body: Buffer.concat(capture.chunks, capture.size) });
        if (entry) await this.cache.save(policy, lookup, entry);
      });
    }, abort);
    return entry;
  }

  /** Written straight to the Node response; Node leaves the body out for HEAD. */
  private answer(entry: CachedResponse, outcome: string, exchange: EdgeExchange): void {
    const headers = { ...exchange.takeOver(), ...cacheHeaders(entry, outcome, Date.now()) };
    const response = exchange.response;
    if (matchesIfNoneMatch(exchange.request.headers['if-none-match'], entry.etag)) {
      for (const name in headers) if (name.startsWith('content-')) delete headers[name];
      response.writeHead(304, headers);
      response.end();
      return;
    }
    headers['content-length'] = String(entry.body.length);
    response.writeHead(entry.status, headers);
    response.end(entry.body);
  }
}
