import { SetMetadata } from '@nestjs/common';
import type { CacheOptions } from './cache-policy.js';

export const CACHE_POLICY = 'portico:cache-policy';
export const INVALIDATES_CACHE = 'portico:invalidates-cache';

/** Caches a GET handler's answers (HEAD is answered from them too); see docs/caching.md. */
export const Cache = (options: CacheOptions) => SetMetadata(CACHE_POLICY, options);

export interface InvalidationOptions {
  tags?: readonly string[];
  /** Cached routes by name: a route file route's id, or a handler's path such as `/api/v1/tables/:id`. */
  routes?: readonly string[];
}

/**
 * After the handler succeeds, and before its answer is sent, gives the tags new versions: a client
 * that writes and then reads never gets the cached answer from before its write.
 */
export const InvalidatesCache = (options: InvalidationOptions) => SetMetadata(INVALIDATES_CACHE, options);
