import { type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ProblemException } from '@portico/errors';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MemoryRateLimitStore } from './memory-rate-limit-store.js';
import { RateLimit, SkipRateLimit } from './rate-limit.decorator.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import { RateLimitMetrics } from './rate-limit.metrics.js';
import { RateLimiter } from './rate-limiter.js';
import type { RateLimitModuleOptions } from './rate-limit-options.js';
import type { RateLimitStore } from './rate-limit-store.js';
import { RateLimitUnavailable } from './resilient-rate-limit-store.js';

class LimitedController {
  @RateLimit({ limit: 2, window: '1m', by: 'user' })
  twoPerMinute(): void {}

  @RateLimit({ limit: 5, window: '1m', by: 'user' }, { limit: 1, window: '1s', by: 'user', algorithm: 'sliding-window' })
  twoLimits(): void {}

  @RateLimit({ limit: 3, window: '1m', by: 'user' })
  @RateLimit({ limit: 1, window: '1s', by: 'ip' })
  repeated(): void {}

  @SkipRateLimit()
  skipped(): void {}

  unlimited(): void {}
}

interface FakeRequest {
  ip: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  routeOptions: { url: string };
  user?: { sub: string };
}

function context(handler: keyof LimitedController, request: Partial<FakeRequest> = {}) {
  const headers: Record<string, string> = {};
  const reply = { headers: (values: Record<string, string>) => Object.assign(headers, values) };
  const fullRequest: FakeRequest = { ip: '10.0.0.1', url: `/api/v1/${handler}`, method: 'GET', headers: {}, routeOptions: { url: `/api/v1/${handler}` }, ...request };
  const executionContext = {
    getType: () => 'http',
    // eslint-disable-next-line @typescript-eslint/unbound-method -- only the reference is read, as metadata
    getHandler: () => LimitedController.prototype[handler],
    getClass: () => LimitedController,
    switchToHttp: () => ({ getRequest: () => fullRequest, getResponse: () => reply }),
  } as unknown as ExecutionContext;
  return { executionContext, headers };
}

function guard(options: Partial<RateLimitModuleOptions> = {}, store: RateLimitStore = new MemoryRateLimitStore()) {
  const registry = new Registry();
  const moduleOptions: RateLimitModuleOptions = { failureMode: 'fail-open', ...options };
  const limiter = new RateLimiter(store, moduleOptions, new RateLimitMetrics(registry));
  const instance = new RateLimitGuard(new Reflector(), limiter, moduleOptions);
  return { guard: instance, registry };
}

async function rejection(promise: Promise<unknown>): Promise<ProblemException> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProblemException);
  return error as ProblemException;
}

describe('RateLimitGuard', () => {
  it('sets the RateLimit headers and answers 429 problem with Retry-After once the limit is spent', async () => {
    const { guard: subject, registry } = guard();
    const alice = { user: { sub: 'alice' } };
    const first = context('twoPerMinute', alice);
    await expect(subject.canActivate(first.executionContext)).resolves.toBe(true);
    expect(first.headers).toMatchObject({ 'RateLimit-Limit': '2', 'RateLimit-Remaining': '1', 'RateLimit-Policy': '2;w=60' });
    await subject.canActivate(context('twoPerMinute', alice).executionContext);

    const third = context('twoPerMinute', alice);
    const problem = await rejection(subject.canActivate(third.executionContext));
    expect(problem.problem.status).toBe(429);
    expect(Number(problem.problem.headers?.['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(problem.problem.headers?.['RateLimit-Remaining']).toBe('0');

    // Another user has a budget of their own.
    await expect(subject.canActivate(context('twoPerMinute', { user: { sub: 'bob' } }).executionContext)).resolves.toBe(true);
    const metrics = await registry.getSingleMetricAsString('rate_limit_decisions_total');
    expect(metrics).toContain('rate_limit_decisions_total{policy="LimitedController.twoPerMinute",outcome="allowed"} 3');
    expect(metrics).toContain('rate_limit_decisions_total{policy="LimitedController.twoPerMinute",outcome="limited"} 1');
  });

  it('counts anonymous calls by address', async () => {
    const { guard: subject } = guard();
    await subject.canActivate(context('twoPerMinute', { ip: '10.0.0.9' }).executionContext);
    await subject.canActivate(context('twoPerMinute', { ip: '10.0.0.9' }).executionContext);
    await rejection(subject.canActivate(context('twoPerMinute', { ip: '10.0.0.9' }).executionContext));
    await expect(subject.canActivate(context('twoPerMinute', { ip: '10.0.0.10' }).executionContext)).resolves.toBe(true);
  });

  it('enforces every limit of a handler, and one that rejects spends none of the others', async () => {
    const store = new MemoryRateLimitStore();
    const { guard: subject } = guard({}, store);
    const alice = { user: { sub: 'alice' } };
    await expect(subject.canActivate(context('twoLimits', alice).executionContext)).resolves.toBe(true);
    for (let i = 0; i < 3; i++) await rejection(subject.canActivate(context('twoLimits', alice).executionContext));
    const last = await rejection(subject.canActivate(context('twoLimits', alice).executionContext));
    expect(last.problem.headers?.['RateLimit-Policy']).toBe('5;w=60, 1;w=1');
    // The 5/min budget saw only the one allowed request, whatever the 1/s policy rejected.
    const perMinute = { name: 'x', limit: 5, windowMs: 60_000, by: ['user'] as const, algorithm: 'fixed-window' as const, burst: 5 };
    expect(store.consumeNow('LimitedController.twoLimits#1|user:alice', perMinute, false).remaining).toBe(3);
  });

  it('collects repeated decorators', async () => {
    const { guard: subject } = guard();
    const call = context('repeated', { user: { sub: 'alice' } });
    await subject.canActivate(call.executionContext);
    expect(call.headers['RateLimit-Policy']).toBe('3;w=60, 1;w=1');
  });

  it('applies the default to handlers without a limit, never to skipped handlers or exempt paths', async () => {
    const { guard: subject } = guard({ defaultLimit: { limit: 1, window: '1m', by: 'user', name: 'default' }, exemptPrefixes: ['/health'] });
    await subject.canActivate(context('unlimited').executionContext);
    await rejection(subject.canActivate(context('unlimited').executionContext));
    for (let i = 0; i < 3; i++) {
      await expect(subject.canActivate(context('skipped').executionContext)).resolves.toBe(true);
      await expect(subject.canActivate(context('twoPerMinute', { url: '/health/ready?x=1', ip: '9.9.9.9' }).executionContext)).resolves.toBe(true);
    }
  });

  it('answers 503 problem when the store is down in fail-closed mode', async () => {
    const down: RateLimitStore = { consume: () => Promise.reject(new RateLimitUnavailable('down')) };
    const { guard: subject } = guard({ failureMode: 'fail-closed' }, down);
    const problem = await rejection(subject.canActivate(context('twoPerMinute').executionContext));
    expect(problem.problem.status).toBe(503);
    expect(problem.problem.slug).toBe('rate-limit-unavailable');
  });
});
