import type { FailureMode } from './resilient-rate-limit-store.js';
import type { RateLimitOptions } from './rate-limit-policy.js';

export const RATE_LIMIT_MODULE_OPTIONS = Symbol('RATE_LIMIT_MODULE_OPTIONS');
export const RATE_LIMIT_STORE = Symbol('RATE_LIMIT_STORE');
export const RATE_LIMIT_METRICS = Symbol('RATE_LIMIT_METRICS');

export interface RateLimitModuleOptions {
  /** Applies to every HTTP handler without its own `@RateLimit`; undefined disables it. */
  defaultLimit?: RateLimitOptions;
  failureMode: FailureMode;
  /** Path prefixes never limited, whatever their handlers declare (health, metrics, docs, admin). */
  exemptPrefixes?: readonly string[];
}
