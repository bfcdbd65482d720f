import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { CachedResponse } from './cached-response.js';
import { cacheKey, variesByUser, type CacheableRequest } from './cache-key.js';
import type { CachePolicy } from './cache-policy.js';
import type { CacheStore } from './cache-store.js';
import type { CacheMetrics } from './cache.metrics.js';
import { refusal, replayedHeaders, type HeaderValue } from './cacheability.js';

export interface ResponseCacheSettings {
  /** Off: lookups are never made (invalidation still works). */
  enabled: boolean;
  /** Statuses an answer may be stored with. */
  statuses: ReadonlySet<number>;
  /** Larger bodies are passed through and not stored. */
  maxEntryBytes: number;
}

export type CacheState = 'fresh' | 'stale' | 'miss' | 'bypass';

/** The answer to one lookup, and what storing the backend's answer under the same key needs. */
export interface CacheLookup {
  state: CacheState;
  key: string;
  perUser: boolean;
  /** Set when fresh or stale. */
  entry: CachedResponse | undefined;
  /** The tag versions read with the entry: a new entry records these, not later ones. */
  versions: string;
}

/** A backend answer the front doors hand over once its body is complete. */
export interface BackendAnswer {
  status: number;
  headers: Readonly<Record<string, HeaderValue>>;
  body: Buffer;
}

export type Produce = () => Promise<CachedResponse | undefined>;

export function strongEtag(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** A backend's own strong ETag is kept, so clients that saw it on a streamed miss still get 304 on hits. */
function upstreamEtag(value: HeaderValue): string | undefined {
  return typeof value === 'string' && value.startsWith('"') ? value : undefined;
}

/**
 * The caching core both front doors share (the `@Cache()` interceptor and route-file routes):
 * lookup, storage rules, request coalescing and stale-while-revalidate, over a store that is Redis
 * or memory. It knows nothing of Nest's ExecutionContext or Fastify: callers adapt their request.
 *
 * When the store fails, lookups answer `bypass` and stores are skipped: the request goes to the
 * backend as if there were no cache. The outage is logged once when it starts and once when it ends.
 */
export class ResponseCache {
  private readonly logger = new Logger('ResponseCache');
  private readonly inFlight = new Map<string, Promise<CachedResponse | undefined>>();
  private readonly refreshing = new Set<string>();
  private degraded = false;

  constructor(
    private readonly store: CacheStore,
    private readonly settings: ResponseCacheSettings,
    private readonly metrics: CacheMetrics,
    private readonly now: () => number = Date.now,
  ) {
    metrics.setDegraded(false);
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  get maxEntryBytes(): number {
    return this.settings.maxEntryBytes;
  }

  /** Whether an answer with this head may be stored, before its body is read: a streamed body is only copied when it may. */
  mayStore(lookup: CacheLookup, status: number, headers: Readonly<Record<string, HeaderValue>>): boolean {
    return Number(headers['content-length'] ?? 0) <= this.settings.maxEntryBytes && refusal(status, headers, lookup.perUser, this.settings.statuses) === undefined;
  }

  async lookup(policy: CachePolicy, request: CacheableRequest): Promise<CacheLookup> {
    const key = cacheKey(policy, request);
    const perUser = variesByUser(policy, request);
    let entry: CachedResponse | undefined;
    let versions: string;
    try {
      ({ entry, versions } = await this.store.read(key, policy.guards));
      this.recovered();
    } catch (error) {
      this.failed(error);
      this.metrics.looked(policy.name, 'bypass');
      return { state: 'bypass', key, perUser, entry: undefined, versions: '' };
    }
    // An entry stored before an invalidation of one of its tags is never served, not even stale.
    const now = this.now();
    const usable = entry !== undefined && entry.versions === versions && entry.staleUntil > now;
    const state: CacheState = !usable ? 'miss' : (entry as CachedResponse).freshUntil > now ? 'fresh' : 'stale';
    this.metrics.looked(policy.name, state === 'fresh' ? 'hit' : state);
    return { state, key, perUser, entry: usable ? entry : undefined, versions };
  }

  /**
   * The entry for a backend answer, or undefined (and why, in the metrics) when it must not be
   * stored. Call with the lookup the request was answered from.
   */
  entryFor(policy: CachePolicy, lookup: CacheLookup, answer: BackendAnswer): CachedResponse | undefined {
    const reason =
      answer.body.length > this.settings.maxEntryBytes
        ? 'too-large'
        : refusal(answer.status, answer.headers, lookup.perUser, this.settings.statuses);
    if (reason !== undefined) {
      this.metrics.offered(policy.name, reason);
      return undefined;
    }
    const storedAt = this.now();
    return {
      status: answer.status,
      headers: replayedHeaders(answer.headers),
      body: answer.body,
      etag: upstreamEtag(answer.headers['etag']) ?? strongEtag(answer.body),
      storedAt,
      freshUntil: storedAt + policy.ttlMs,
      staleUntil: storedAt + policy.ttlMs + policy.staleMs,
      versions: lookup.versions,
    };
  }

  /** Counts an answer that was not offered for storage, e.g. a streamed body that outgrew the entry limit. */
  refused(policy: CachePolicy, reason: string): undefined {
    this.metrics.offered(policy.name, reason);
    return undefined;
  }

  /** Writes an entry; a failing store is logged and counted, never the request's problem. */
  async save(policy: CachePolicy, lookup: CacheLookup, entry: CachedResponse): Promise<void> {
    try {
      await this.store.write(lookup.key, entry);
      this.metrics.offered(policy.name, 'stored', entry.body.length);
    } catch (error) {
      this.failed(error);
      this.metrics.offered(policy.name, 'failed');
    }
  }

  /**
   * Coalesces concurrent misses for one key in this process: the first caller (`leader: true`) runs
   * `produce`; the others get its result, or undefined when the answer was not cacheable (they then
   * ask the backend themselves).
   */
  fill(policy: CachePolicy, key: string, produce: Produce): { leader: boolean; result: Promise<CachedResponse | undefined> } {
    const running = this.inFlight.get(key);
    if (running) {
      this.metrics.joined(policy.name);
      return { leader: false, result: running };
    }
    // The leader sees the backend's failure as its own; followers just ask for themselves.
    const result = produce().finally(() => this.inFlight.delete(key));
    this.inFlight.set(
      key,
      result.catch(() => undefined),
    );
    return { leader: true, result };
  }

  /**
   * Stale-while-revalidate: at most one refresh per key runs, in this process (a set) and across
   * instances (a short lock in the store). `produce` asks the backend and returns the new entry.
   * Callers do not wait: the promise settles when the refresh is over, and never rejects.
   */
  revalidate(policy: CachePolicy, lookup: CacheLookup, produce: Produce): Promise<void> {
    const key = lookup.key;
    if (this.refreshing.has(key) || this.inFlight.has(key)) return Promise.resolve();
    this.refreshing.add(key);
    return this.refresh(policy, lookup, produce).finally(() => this.refreshing.delete(key));
  }

  /** New versions for these tags and routes: entries stored under them are never served again. */
  async invalidate(tags: readonly string[], routes: readonly string[], source: string): Promise<void> {
    await this.store.invalidate([...tags, ...routes.map((route) => `route:${route}`)]);
    this.metrics.invalidated(source, tags.length + routes.length);
  }

  private async refresh(policy: CachePolicy, lookup: CacheLookup, produce: Produce): Promise<void> {
    try {
      // Held until it expires: no longer than the entry stays fresh once refreshed, so the next stale
      // period can refresh again, and never so long that a crashed refresher pins the entry stale.
      const lockMs = Math.min(Math.max(Math.min(policy.ttlMs, policy.staleMs), 200), 10_000);
      if (!(await this.store.lock(lookup.key, lockMs))) return;
    } catch (error) {
      this.failed(error);
      return;
    }
    const { result } = this.fill(policy, lookup.key, async () => {
      const entry = await produce();
      if (entry) await this.save(policy, lookup, entry);
      return entry;
    });
    const entry = await result.catch(() => undefined);
    this.metrics.refreshed(policy.name, entry ? 'stored' : 'not-stored');
  }

  private failed(error: unknown): void {
    this.metrics.storeFailed();
    if (this.degraded) return;
    this.degraded = true;
    this.metrics.setDegraded(true);
    this.logger.warn({ err: error }, 'cache store unavailable: requests bypass the cache');
  }

  private recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.metrics.setDegraded(false);
    this.logger.log('cache store available again');
  }
}
