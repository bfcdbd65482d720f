import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Metrics } from '@portico/observability';
import { REDIS } from '@portico/redis';
import type { Redis } from 'ioredis';
import { MemoryRateLimitStore } from './memory-rate-limit-store.js';
import { RATE_LIMIT_MODULE_OPTIONS, RATE_LIMIT_STORE, type RateLimitModuleOptions } from './rate-limit-options.js';
import { RATE_LIMIT_METRICS, RateLimitGuard } from './rate-limit.guard.js';
import { RateLimitMetrics } from './rate-limit.metrics.js';
import { RedisRateLimitStore } from './redis-rate-limit-store.js';
import { ResilientRateLimitStore } from './resilient-rate-limit-store.js';

/**
 * `@RateLimit()` on handlers and a configured default, enforced by one global guard over Redis
 * (shared by every instance) or process memory when there is no Redis. Import it after AuthModule:
 * Nest runs global guards in registration order, and `by: 'user'` needs the principal that
 * authentication attaches.
 */
@Module({})
export class RateLimitModule {
  static forRoot(options: RateLimitModuleOptions): DynamicModule {
    return {
      module: RateLimitModule,
      // Global so the socket hub spends client messages from the same budgets store.
      global: true,
      providers: [
        { provide: RATE_LIMIT_MODULE_OPTIONS, useValue: options },
        { provide: RATE_LIMIT_METRICS, inject: [Metrics], useFactory: (metrics: Metrics) => new RateLimitMetrics(metrics.registry) },
        {
          provide: RATE_LIMIT_STORE,
          inject: [REDIS, RATE_LIMIT_METRICS],
          useFactory: (redis: Redis | undefined, metrics: RateLimitMetrics) =>
            redis
              ? new ResilientRateLimitStore(new RedisRateLimitStore(redis), options.failureMode, metrics)
              : new MemoryRateLimitStore(),
        },
        { provide: APP_GUARD, useClass: RateLimitGuard },
      ],
      exports: [RATE_LIMIT_STORE],
    };
  }
}
