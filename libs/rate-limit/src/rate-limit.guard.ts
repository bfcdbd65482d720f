import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RATE_LIMIT_MODULE_OPTIONS, type RateLimitModuleOptions } from './rate-limit-options.js';
import { RATE_LIMITS, SKIP_RATE_LIMIT } from './rate-limit.decorator.js';
import type { RateLimitOptions } from './rate-limit-policy.js';
import { compileLimits, RateLimiter, type RateLimitSet, type RateLimitSubject } from './rate-limiter.js';

type LimitedRequest = FastifyRequest & { user?: { sub?: unknown } };

/** Fastify's `request.ip` (TRUST_PROXY applied), the verified principal, the API key and the route pattern. */
function subjectOf(request: LimitedRequest): RateLimitSubject {
  const sub = request.user?.sub;
  const apiKey = request.headers['x-api-key'];
  return {
    ip: request.ip,
    sub: typeof sub === 'string' && sub !== '' ? sub : undefined,
    apiKey: typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined,
    route: `${request.method} ${request.routeOptions.url ?? request.url.split('?', 1)[0]}`,
  };
}

/**
 * One global guard for every `@RateLimit` handler. Our own rather than @nestjs/throttler's
 * ThrottlerGuard: its storage contract, `increment(key, ttl, limit, blockDuration, name)`, counts a
 * request before deciding (so a rejected request spends budget), returns only hit counts and expiries
 * (no shape for a token bucket's level or a sliding log's oldest entry), and has no way to ask without
 * spending, which several policies on one route need. The guard keeps its model: metadata on
 * handlers, one global guard, a pluggable storage.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  /** Per handler: its compiled policies, built once, not per request. */
  private readonly compiled = new WeakMap<object, RateLimitSet>();

  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
    @Inject(RATE_LIMIT_MODULE_OPTIONS) private readonly options: RateLimitModuleOptions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<LimitedRequest>();
    if (this.exempt(request.url)) return true;
    if (this.reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT, [context.getHandler(), context.getClass()])) return true;
    const limits = this.limitsFor(context);
    if (limits.policies.length === 0) return true;
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    void reply.headers(await this.limiter.enforce(limits, subjectOf(request)));
    return true;
  }

  private exempt(url: string): boolean {
    const path = url.split('?', 1)[0] ?? url;
    return (this.options.exemptPrefixes ?? []).some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  }

  private limitsFor(context: ExecutionContext): RateLimitSet {
    const handler = context.getHandler();
    const cached = this.compiled.get(handler);
    if (cached) return cached;
    const declared =
      (Reflect.getMetadata(RATE_LIMITS, handler) as RateLimitOptions[] | undefined) ??
      (Reflect.getMetadata(RATE_LIMITS, context.getClass()) as RateLimitOptions[] | undefined);
    const limits = declared ? compileLimits(declared, `${context.getClass().name}.${handler.name}`) : this.limiter.defaultLimits;
    this.compiled.set(handler, limits);
    return limits;
  }
}
