export { MemoryRateLimitStore } from './memory-rate-limit-store.js';
export { RATE_LIMIT_METRICS, RATE_LIMIT_MODULE_OPTIONS, RATE_LIMIT_STORE, type RateLimitModuleOptions } from './rate-limit-options.js';
export {
  ALGORITHMS,
  compilePolicy,
  parseDefaultPolicy,
  parseWindow,
  policyHeaderItem,
  type KeyPart,
  type RateLimitAlgorithm,
  type RateLimitOptions,
  type RateLimitPolicy,
} from './rate-limit-policy.js';
export type { RateLimitDecision, RateLimitStore } from './rate-limit-store.js';
export { RateLimit, RATE_LIMITS, SKIP_RATE_LIMIT, SkipRateLimit } from './rate-limit.decorator.js';
export { RateLimitGuard } from './rate-limit.guard.js';
export {
  compileLimits,
  keyPart,
  RateLimiter,
  rateLimitSet,
  type RateLimitHeaders,
  type RateLimitSet,
  type RateLimitSubject,
} from './rate-limiter.js';
export { RateLimitMetrics } from './rate-limit.metrics.js';
export { RateLimitModule } from './rate-limit.module.js';
export { redisKey, RedisRateLimitStore } from './redis-rate-limit-store.js';
export { RateLimitUnavailable, ResilientRateLimitStore, type FailureMode } from './resilient-rate-limit-store.js';
