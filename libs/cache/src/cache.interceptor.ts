import { Inject, Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, mergeMap, of, type Observable } from 'rxjs';
import type { CachedResponse } from './cached-response.js';
import type { CacheableRequest } from './cache-key.js';
import { CACHE_MODULE_OPTIONS, type CacheModuleOptions } from './cache-options.js';
import { compileCachePolicy, type CacheOptions, type CachePolicy } from './cache-policy.js';
import { CACHE_POLICY, INVALIDATES_CACHE, type InvalidationOptions } from './cache.decorator.js';
import { matchesIfNoneMatch, type HeaderValue } from './cacheability.js';
import { ResponseCache, type CacheLookup } from './response-cache.js';

type CachedRequest = FastifyRequest & { user?: { sub?: string } };

const JSON_TYPE = 'application/json; charset=utf-8';

/** Adapts a Fastify request to what the cache keys on, without copying headers. */
export function cacheableRequest(request: Pick<CachedRequest, 'method' | 'url' | 'headers' | 'user'>): CacheableRequest {
  const headers = request.headers;
  return {
    method: request.method,
    url: request.url,
    user: request.user?.sub,
    header: (name) => {
      const value = headers[name];
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

/** Sets the headers every cached answer carries: x-cache, ETag, Age and the entry's own. */
export function cacheHeaders(entry: CachedResponse, outcome: string, now: number): Record<string, string> {
  return {
    ...entry.headers,
    etag: entry.etag,
    age: String(Math.max(0, Math.floor((now - entry.storedAt) / 1_000))),
    'x-cache': outcome,
  };
}

/**
 * The code-first front door: `@Cache()` on GET handlers, `@InvalidatesCache()` on writes. Handlers
 * return plain values, which are serialised here (as Fastify would) so the stored bytes, the ETag and
 * the answer sent are the same on a miss and on a hit.
 */
@Injectable()
export class CacheInterceptor implements NestInterceptor {
  private readonly logger = new Logger('CacheInterceptor');
  private readonly policies = new WeakMap<object, CachePolicy | null>();
  /** The serialised body of a leader's answer, for when it turns out not to be cacheable. */
  private readonly bodies = new WeakMap<FastifyReply, Buffer>();

  private readonly storable: (result: unknown) => boolean;

  constructor(
    private readonly cache: ResponseCache,
    @Inject(CACHE_MODULE_OPTIONS) options: CacheModuleOptions,
  ) {
    this.storable = options.storable ?? (() => true);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> | Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<CachedRequest>();
    const method = request.method;
    if (method === 'GET' || method === 'HEAD') {
      const policy = this.cache.enabled ? this.policyOf(context, request) : null;
      return policy ? this.cached(policy, request, context.switchToHttp().getResponse<FastifyReply>(), next) : next.handle();
    }
    const invalidation = Reflect.getMetadata(INVALIDATES_CACHE, context.getHandler()) as InvalidationOptions | undefined;
    if (!invalidation) return next.handle();
    return next.handle().pipe(mergeMap((value: unknown) => from(this.invalidate(invalidation).then(() => value))));
  }

  private async cached(policy: CachePolicy, request: CachedRequest, reply: FastifyReply, next: CallHandler): Promise<Observable<unknown>> {
    const lookup = await this.cache.lookup(policy, cacheableRequest(request));
    switch (lookup.state) {
      case 'fresh':
        return of(this.answer(lookup.entry as CachedResponse, 'HIT', request, reply));
      case 'stale':
        void this.cache.revalidate(policy, lookup, () => this.produce(policy, lookup, reply, next));
        return of(this.answer(lookup.entry as CachedResponse, 'STALE', request, reply));
      case 'bypass':
        void reply.header('x-cache', 'BYPASS');
        return next.handle();
      case 'miss': {
        const { leader, result } = this.cache.fill(policy, lookup.key, () => this.produce(policy, lookup, reply, next));
        const entry = await result;
        if (entry) return of(this.answer(entry, 'MISS', request, reply));
        // Not cacheable: the leader's answer was already sent; a joined request asks for its own.
        void reply.header('x-cache', 'MISS');
        return leader ? of(this.lastBody(reply)) : next.handle();
      }
    }
  }

  /**
   * Runs the handler and stores its answer when the rules allow. The entry keeps only the headers the
   * handler set: those already on the reply belong to this request (CORS for its origin, rate limits).
   */
  private async produce(policy: CachePolicy, lookup: CacheLookup, reply: FastifyReply, next: CallHandler): Promise<CachedResponse | undefined> {
    const before = new Set(Object.keys(reply.getHeaders()));
    const value: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
    const body = value === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(value));
    if (body.length > 0 && !reply.hasHeader('content-type')) void reply.header('content-type', JSON_TYPE);
    const headers: Record<string, HeaderValue> = {};
    for (const [name, header] of Object.entries(reply.getHeaders())) if (!before.has(name)) headers[name] = header;
    const status = value === undefined && reply.statusCode === 200 ? 204 : reply.statusCode;
    this.bodies.set(reply, body);
    if (!this.storable(value)) return this.cache.refused(policy, 'declined');
    const entry = this.cache.entryFor(policy, lookup, { status, headers, body });
    if (entry) await this.cache.save(policy, lookup, entry);
    return entry;
  }

  private lastBody(reply: FastifyReply): Buffer {
    return this.bodies.get(reply) ?? Buffer.alloc(0);
  }

  /**
   * A 200 entry is sent as a Buffer (Nest applies the handler's status, 200); any other status, and
   * 304, as a web Response, whose status Nest keeps.
   */
  private answer(entry: CachedResponse, outcome: string, request: CachedRequest, reply: FastifyReply): unknown {
    const headers = cacheHeaders(entry, outcome, Date.now());
    if (matchesIfNoneMatch(request.headers['if-none-match'], entry.etag)) {
      return new Response(null, { status: 304, headers: withoutContent(headers) });
    }
    if (entry.status !== 200) return new Response(entry.status === 204 ? null : entry.body, { status: entry.status, headers });
    void reply.headers(headers);
    return entry.body;
  }

  private async invalidate(invalidation: InvalidationOptions): Promise<void> {
    try {
      await this.cache.invalidate(invalidation.tags ?? [], invalidation.routes ?? [], 'handler');
    } catch (error) {
      // The write itself succeeded; failing the request now would invite a retry of it.
      this.logger.warn({ err: error, tags: invalidation.tags, routes: invalidation.routes }, 'cache invalidation failed');
    }
  }

  private policyOf(context: ExecutionContext, request: CachedRequest): CachePolicy | null {
    const handler = context.getHandler();
    let policy = this.policies.get(handler);
    if (policy === undefined) {
      const options =
        (Reflect.getMetadata(CACHE_POLICY, handler) as CacheOptions | undefined) ??
        (Reflect.getMetadata(CACHE_POLICY, context.getClass()) as CacheOptions | undefined);
      policy = options ? compileCachePolicy(options, request.routeOptions.url ?? `${context.getClass().name}.${handler.name}`) : null;
      this.policies.set(handler, policy);
    }
    return policy;
  }
}

/** A 304 carries the validators and caching headers, not the representation's content headers. */
function withoutContent(headers: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name in headers) if (!name.startsWith('content-')) kept[name] = headers[name] as string;
  return kept;
}
