import { createHash } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ProblemException } from '@portico/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RATE_LIMIT_MODULE_OPTIONS, RATE_LIMIT_STORE, type RateLimitModuleOptions } from './rate-limit-options.js';
import { RATE_LIMITS, SKIP_RATE_LIMIT } from './rate-limit.decorator.js';
import type { RateLimitMetrics } from './rate-limit.metrics.js';
import { compilePolicy, policyHeaderItem, type KeyPart, type RateLimitOptions, type RateLimitPolicy } from './rate-limit-policy.js';
import type { RateLimitDecision, RateLimitStore } from './rate-limit-store.js';
import { RateLimitUnavailable } from './resilient-rate-limit-store.js';

export const RATE_LIMIT_METRICS = Symbol('RATE_LIMIT_METRICS');

type LimitedRequest = FastifyRequest & { user?: { sub?: unknown } };

/** Where keys come from: Fastify's `request.ip` (TRUST_PROXY applied), the verified principal, the API key, the route. */
export function keyPart(part: KeyPart, request: LimitedRequest): string {
  switch (part) {
    case 'ip':
      return `ip:${request.ip}`;
    case 'user': {
      const sub = request.user?.sub;
      // Anonymous calls share nothing with a user: they count by address.
      return typeof sub === 'string' && sub !== '' ? `user:${sub}` : `ip:${request.ip}`;
    }
    case 'apiKey': {
      const apiKey = request.headers['x-api-key'];
      // Hashed: keys are secrets and should not sit in Redis or logs in the clear.
      return typeof apiKey === 'string' && apiKey !== ''
        ? `key:${createHash('sha256').update(apiKey).digest('hex').slice(0, 32)}`
        : `ip:${request.ip}`;
    }
    case 'route':
      return `route:${request.method} ${request.routeOptions.url ?? request.url.split('?', 1)[0]}`;
  }
}

/** The decision the headers describe: a rejecting one first, else the one with the least left. */
function tightest(decisions: readonly RateLimitDecision[]): RateLimitDecision {
  return decisions.reduce((a, b) => {
    if (a.allowed !== b.allowed) return a.allowed ? b : a;
    return b.remaining < a.remaining ? b : a;
  });
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1_000));

interface HandlerLimits {
  policies: readonly RateLimitPolicy[];
  policyHeader: string;
}

const limitsOf = (policies: readonly RateLimitPolicy[]): HandlerLimits => ({
  policies,
  policyHeader: policies.map(policyHeaderItem).join(', '),
});

/**
 * One global guard for every policy. Our own rather than @nestjs/throttler's ThrottlerGuard: its
 * storage contract, `increment(key, ttl, limit, blockDuration, name)`, counts a request before
 * deciding (so a rejected request spends budget), returns only hit counts and expiries (no shape for a
 * token bucket's level or a sliding log's oldest entry), and has no way to ask without spending, which
 * several policies on one route need. The guard keeps its model: metadata on handlers, one global
 * guard, a pluggable storage.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  /** Per handler: its policies and their `RateLimit-Policy` header, built once, not per request. */
  private readonly compiled = new WeakMap<object, HandlerLimits>();
  private readonly defaultLimits: HandlerLimits;

  constructor(
    private readonly reflector: Reflector,
    @Inject(RATE_LIMIT_STORE) private readonly store: RateLimitStore,
    @Inject(RATE_LIMIT_MODULE_OPTIONS) private readonly options: RateLimitModuleOptions,
    @Inject(RATE_LIMIT_METRICS) private readonly metrics: RateLimitMetrics,
  ) {
    this.defaultLimits = limitsOf(options.defaultLimit ? [compilePolicy(options.defaultLimit, 'default')] : []);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<LimitedRequest>();
    if (this.exempt(request.url)) return true;
    if (this.reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT, [context.getHandler(), context.getClass()])) return true;
    const { policies, policyHeader } = this.limitsFor(context);
    if (policies.length === 0) return true;

    const keys = policies.map((policy) => `${policy.name}|${policy.by.map((part) => keyPart(part, request)).join('|')}`);
    const decisions = await this.decide(policies, keys);
    const allowed = decisions.every((decision) => decision.allowed);
    decisions.forEach((decision, index) => {
      if (allowed || !decision.allowed) this.metrics.decided((policies[index] as RateLimitPolicy).name, decision.allowed);
    });

    const shown = tightest(decisions);
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const headers = {
      'RateLimit-Limit': String(shown.limit),
      'RateLimit-Remaining': String(shown.remaining),
      'RateLimit-Reset': String(seconds(shown.resetMs)),
      'RateLimit-Policy': policyHeader,
    };
    void reply.headers(headers);
    if (allowed) return true;
    const retryAfter = String(Math.max(1, seconds(shown.retryAfterMs)));
    throw new ProblemException({
      status: 429,
      slug: 'rate-limited',
      title: 'Too Many Requests',
      detail: `rate limit exceeded; retry in ${retryAfter} s`,
      headers: { ...headers, 'Retry-After': retryAfter },
    });
  }

  private async decide(policies: readonly RateLimitPolicy[], keys: readonly string[]): Promise<RateLimitDecision[]> {
    try {
      const consume = (commit: boolean) =>
        Promise.all(policies.map((policy, index) => this.store.consume(keys[index] as string, policy, commit)));
      if (policies.length === 1) return await consume(true);
      // Ask every policy first, so a request one of them rejects spends none of the others' budget.
      // Between the two rounds another request may take the last slot; then this one is rejected
      // having spent on the others, a bounded and rare over-count.
      const asked = await consume(false);
      return asked.every((decision) => decision.allowed) ? await consume(true) : asked;
    } catch (error) {
      if (!(error instanceof RateLimitUnavailable)) throw error;
      throw new ProblemException(
        {
          status: 503,
          slug: 'rate-limit-unavailable',
          title: 'Service Unavailable',
          detail: 'the rate limit store is unavailable and RATE_LIMIT_FAILURE_MODE is fail-closed',
          headers: { 'Retry-After': '1' },
        },
        { cause: error },
      );
    }
  }

  private exempt(url: string): boolean {
    const path = url.split('?', 1)[0] ?? url;
    return (this.options.exemptPrefixes ?? []).some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  }

  private limitsFor(context: ExecutionContext): HandlerLimits {
    const handler = context.getHandler();
    const cached = this.compiled.get(handler);
    if (cached) return cached;
    const declared =
      (Reflect.getMetadata(RATE_LIMITS, handler) as RateLimitOptions[] | undefined) ??
      (Reflect.getMetadata(RATE_LIMITS, context.getClass()) as RateLimitOptions[] | undefined);
    const scope = `${context.getClass().name}.${handler.name}`;
    const limits = declared
      ? limitsOf(declared.map((options, index) => compilePolicy(options, declared.length === 1 ? scope : `${scope}#${index + 1}`)))
      : this.defaultLimits;
    this.compiled.set(handler, limits);
    return limits;
  }
}
