import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { Registry } from 'prom-client';
import { lastValueFrom, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Cache, InvalidatesCache } from './cache.decorator.js';
import { CacheInterceptor } from './cache.interceptor.js';
import { CacheMetrics } from './cache.metrics.js';
import { MemoryCacheStore } from './memory-cache-store.js';
import { ResponseCache } from './response-cache.js';

class TablesController {
  @Cache({ ttl: '30s', tags: ['tables'] })
  table() {
    return undefined;
  }

  @InvalidatesCache({ tags: ['tables'] })
  join() {
    return undefined;
  }
}

/** Just enough of a Fastify reply: headers and a status. */
function fakeReply(preset: Record<string, string> = {}) {
  const headers: Record<string, string> = { ...preset };
  const reply = {
    statusCode: 200,
    getHeaders: () => ({ ...headers }),
    hasHeader: (name: string) => name in headers,
    header: (name: string, value: string) => {
      headers[name.toLowerCase()] = value;
      return reply;
    },
    headers: (values: Record<string, string>) => {
      for (const [name, value] of Object.entries(values)) headers[name.toLowerCase()] = value;
      return reply;
    },
  };
  return { reply, headers };
}

function context(handler: keyof TablesController, method: string, user: string, requestHeaders: Record<string, string>, reply: object): ExecutionContext {
  const request = { method, url: '/api/v1/tables/t1', user: { sub: user }, headers: requestHeaders, routeOptions: { url: '/api/v1/tables/:id' } };
  return {
    getType: () => 'http',
    getHandler: () => Object.getOwnPropertyDescriptor(TablesController.prototype, handler)?.value as object,
    getClass: () => TablesController,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ExecutionContext;
}

function setup() {
  const cache = new ResponseCache(new MemoryCacheStore(1_000_000), { enabled: true, statuses: new Set([200]), maxEntryBytes: 10_000 }, new CacheMetrics(new Registry()));
  let calls = 0;
  let seats = 1;
  const next: CallHandler = {
    handle: () => {
      calls++;
      return of({ seats });
    },
  };
  return { interceptor: new CacheInterceptor(cache, { enabled: true, maxEntryBytes: 10_000, memoryMaxBytes: 1_000_000, statuses: [200], storable: (result) => (result as { seats: number }).seats !== 0 }), next, calls: () => calls, seat: () => seats++ };
}

const run = async (interceptor: CacheInterceptor, ctx: ExecutionContext, next: CallHandler) => lastValueFrom(await interceptor.intercept(ctx, next));

describe('CacheInterceptor', () => {
  it('serialises the handler’s result on a miss and answers the same bytes from the cache without calling it again', async () => {
    const { interceptor, next, calls } = setup();
    const first = fakeReply({ 'access-control-allow-origin': 'https://a.example' });
    const miss = await run(interceptor, context('table', 'GET', 'alice', {}, first.reply), next);
    expect(Buffer.isBuffer(miss) && miss.toString()).toBe('{"seats":1}');
    expect(first.headers).toMatchObject({ 'x-cache': 'MISS', 'content-type': 'application/json; charset=utf-8' });

    const second = fakeReply({ 'access-control-allow-origin': 'https://b.example' });
    const hit = await run(interceptor, context('table', 'GET', 'alice', {}, second.reply), next);
    expect(Buffer.isBuffer(hit) && hit.toString()).toBe('{"seats":1}');
    expect(second.headers).toMatchObject({ 'x-cache': 'HIT', etag: first.headers['etag'], 'content-type': 'application/json; charset=utf-8' });
    // A header of the first request is not replayed to the second.
    expect(second.headers['access-control-allow-origin']).toBe('https://b.example');
    expect(calls()).toBe(1);
  });

  it('stores nothing the application declines, yet answers it', async () => {
    const { interceptor } = setup();
    const declined: CallHandler = { handle: () => of({ seats: 0 }) };
    const first = fakeReply();
    const answer = await run(interceptor, context('table', 'GET', 'alice', {}, first.reply), declined);
    expect(Buffer.isBuffer(answer) && answer.toString()).toBe('{"seats":0}');
    const again = fakeReply();
    await run(interceptor, context('table', 'GET', 'alice', {}, again.reply), declined);
    expect(again.headers['x-cache']).toBe('MISS');
  });

  it('keeps users apart on a non-public policy', async () => {
    const { interceptor, next, calls } = setup();
    await run(interceptor, context('table', 'GET', 'alice', {}, fakeReply().reply), next);
    const bob = fakeReply();
    await run(interceptor, context('table', 'GET', 'bob', {}, bob.reply), next);
    expect(bob.headers['x-cache']).toBe('MISS');
    expect(calls()).toBe(2);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const { interceptor, next } = setup();
    const first = fakeReply();
    await run(interceptor, context('table', 'GET', 'alice', {}, first.reply), next);
    const answer = await run(interceptor, context('table', 'GET', 'alice', { 'if-none-match': first.headers['etag'] as string }, fakeReply().reply), next);
    expect(answer).toBeInstanceOf(Response);
    expect((answer as Response).status).toBe(304);
    expect((answer as Response).headers.get('etag')).toBe(first.headers['etag']);
    expect((answer as Response).headers.get('content-type')).toBeNull();
  });

  it('invalidates the tags of a write once its handler succeeded, so the next read asks the handler again', async () => {
    const { interceptor, next, calls, seat } = setup();
    await run(interceptor, context('table', 'GET', 'alice', {}, fakeReply().reply), next);
    seat();
    await run(interceptor, context('join', 'POST', 'alice', {}, fakeReply().reply), next);
    const after = fakeReply();
    const answer = await run(interceptor, context('table', 'GET', 'alice', {}, after.reply), next);
    expect(after.headers['x-cache']).toBe('MISS');
    expect(Buffer.isBuffer(answer) && answer.toString()).toBe('{"seats":2}');
    expect(calls()).toBe(3);
  });
});
