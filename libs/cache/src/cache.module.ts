import { Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Metrics } from '@portico/observability';
import { REDIS } from '@portico/redis';
import type { Redis } from 'ioredis';
import { CacheAdminController } from './cache-admin.controller.js';
import { CACHE_MODULE_OPTIONS, type CacheModuleOptions } from './cache-options.js';
import { CacheInterceptor } from './cache.interceptor.js';
import { CacheMetrics } from './cache.metrics.js';
import { MemoryCacheStore } from './memory-cache-store.js';
import { RedisCacheStore } from './redis-cache-store.js';
import { ResponseCache } from './response-cache.js';

function responseCache(options: CacheModuleOptions, redis: Redis | undefined, metrics: Metrics): ResponseCache {
  const settings = { enabled: options.enabled, statuses: new Set(options.statuses), maxEntryBytes: options.maxEntryBytes };
  if (redis) return new ResponseCache(new RedisCacheStore(redis, options.namespace), settings, new CacheMetrics(metrics.registry));
  // The store reports evictions to the metrics, which read its size: each refers to the other once both exist.
  const memory: MemoryCacheStore = new MemoryCacheStore(options.memoryMaxBytes, (count) => cacheMetrics.evicted(count));
  const cacheMetrics = new CacheMetrics(metrics.registry, () => memory.bytes);
  return new ResponseCache(memory, settings, cacheMetrics);
}

/**
 * Response caching: `@Cache()` and `@InvalidatesCache()` through one global interceptor, the
 * ResponseCache that route-file routes use too (the module is global so the edge proxy finds it),
 * and the invalidation admin API. Redis-backed when REDIS_URL is set, in memory otherwise.
 */
@Module({})
export class CacheModule {
  static forRoot(options: CacheModuleOptions): DynamicModule {
    return {
      module: CacheModule,
      global: true,
      providers: [
        { provide: CACHE_MODULE_OPTIONS, useValue: options },
        { provide: ResponseCache, inject: [REDIS, Metrics], useFactory: (redis: Redis | undefined, metrics: Metrics) => responseCache(options, redis, metrics) },
        { provide: APP_INTERCEPTOR, useClass: CacheInterceptor },
      ],
      controllers: [CacheAdminController],
      exports: [ResponseCache, CACHE_MODULE_OPTIONS],
    };
  }
}
