import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RedisCacheStore } from './redis-cache-store.js';

/**
 * Invalidation for backend services, without Nest's HTTP layer: a service that changed data gives
 * the tags new versions in the Redis the gateways cache in, before it answers the write, so the
 * writer's next read misses. Without Redis the gateways cache in their own memory and
 * `@InvalidatesCache()` on their write endpoints does the same; this then does nothing.
 */
export class CacheInvalidator {
  private readonly logger = new Logger('CacheInvalidator');
  private readonly store: RedisCacheStore | undefined;

  constructor(redis: Redis | undefined, namespace?: string) {
    this.store = redis && new RedisCacheStore(redis, namespace);
  }

  /** True once the new versions are stored; false (logged) when Redis could not be reached. */
  async invalidateTags(tags: readonly string[]): Promise<boolean> {
    if (!this.store || tags.length === 0) return true;
    try {
      await this.store.invalidate(tags);
      return true;
    } catch (error) {
      this.logger.warn({ err: error, tags }, 'cache invalidation failed: cached answers may be stale until they expire');
      return false;
    }
  }
}
