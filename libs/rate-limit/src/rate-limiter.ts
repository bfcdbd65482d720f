import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '@portico/errors';
import { RATE_LIMIT_METRICS, RATE_LIMIT_MODULE_OPTIONS, RATE_LIMIT_STORE, type RateLimitModuleOptions } from './rate-limit-options.js';
import type { RateLimitMetrics } from './rate-limit.metrics.js';
import { compilePolicy, policyHeaderItem, type KeyPart, type RateLimitOptions, type RateLimitPolicy } from './rate-limit-policy.js';
import type { RateLimitDecision, RateLimitStore } from './rate-limit-store.js';
import { RateLimitUnavailable } from './resilient-rate-limit-store.js';

/** Who and what a request is, as far as limit keys are concerned; every front door adapts its request to this. */
export interface RateLimitSubject {
  /** The client address with TRUST_PROXY applied. */
  ip: string;
  /** The verified principal's subject; undefined for anonymous calls. */
  sub?: string | undefined;
  apiKey?: string | undefined;
  /** Names the route, so `by: route` budgets are per route. */
  route: string;
}

/** Policies that apply together, with their `RateLimit-Policy` header built once rather than per request. */
export interface RateLimitSet {
  readonly policies: readonly RateLimitPolicy[];
  readonly policyHeader: string;
}

export type RateLimitHeaders = Record<'RateLimit-Limit' | 'RateLimit-Remaining' | 'RateLimit-Reset' | 'RateLimit-Policy', string>;

export function rateLimitSet(policies: readonly RateLimitPolicy[]): RateLimitSet {
  return { policies, policyHeader: policies.map(policyHeaderItem).join(', ') };
}

/** Compiles declared limits, naming each after `scope` (with `#n` when there are several) unless it has a name. */
export function compileLimits(declared: readonly RateLimitOptions[], scope: string): RateLimitSet {
  return rateLimitSet(declared.map((options, index) => compilePolicy(options, declared.length === 1 ? scope : `${scope}#${index + 1}`)));
}

export function keyPart(part: KeyPart, subject: RateLimitSubject): string {
  switch (part) {
    case 'ip':
      return `ip:${subject.ip}`;
    case 'user':
      // Anonymous calls share nothing with a user: they count by address.
      return subject.sub ? `user:${subject.sub}` : `ip:${subject.ip}`;
    case 'apiKey':
      // Hashed: keys are secrets and should not sit in Redis or logs in the clear.
      return subject.apiKey ? `key:${createHash('sha256').update(subject.apiKey).digest('hex').slice(0, 32)}` : `ip:${subject.ip}`;
    case 'route':
      return `route:${subject.route}`;
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

/**
 * Enforces a set of policies for one request, whichever door it came through: the global guard for
 * code-first handlers and the edge proxy for route-file routes share it, so a policy means the same
 * in both places.
 */
@Injectable()
export class RateLimiter {
  /** What applies where nothing is declared; empty when `RATE_LIMIT_DEFAULT=off`. */
  readonly defaultLimits: RateLimitSet;

  constructor(
    @Inject(RATE_LIMIT_STORE) private readonly store: RateLimitStore,
    @Inject(RATE_LIMIT_MODULE_OPTIONS) options: RateLimitModuleOptions,
    @Inject(RATE_LIMIT_METRICS) private readonly metrics: RateLimitMetrics,
  ) {
    this.defaultLimits = rateLimitSet(options.defaultLimit ? [compilePolicy(options.defaultLimit, 'default')] : []);
  }

  /**
   * Spends one request from every policy and returns the headers to send; throws a 429 problem (with
   * those headers and Retry-After) when any policy rejects, or a 503 when the store is down and the
   * failure mode is fail-closed.
   */
  async enforce(limits: RateLimitSet, subject: RateLimitSubject): Promise<RateLimitHeaders> {
    const { policies } = limits;
    const keys = policies.map((policy) => `${policy.name}|${policy.by.map((part) => keyPart(part, subject)).join('|')}`);
    const decisions = await this.decide(policies, keys);
    const allowed = decisions.every((decision) => decision.allowed);
    decisions.forEach((decision, index) => {
      if (allowed || !decision.allowed) this.metrics.decided((policies[index] as RateLimitPolicy).name, decision.allowed);
    });

    const shown = tightest(decisions);
    const headers: RateLimitHeaders = {
      'RateLimit-Limit': String(shown.limit),
      'RateLimit-Remaining': String(shown.remaining),
      'RateLimit-Reset': String(seconds(shown.resetMs)),
      'RateLimit-Policy': limits.policyHeader,
    };
    if (allowed) return headers;
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
}
