import { createHash } from 'node:crypto';
import type { CachePolicy } from './cache-policy.js';

/** The parts of a request a cache key can depend on; both front doors adapt their request to it. */
export interface CacheableRequest {
  /** GET and HEAD share entries: a HEAD is answered from the GET's. */
  method: string;
  /** Path and query as received. */
  url: string;
  /** The verified caller; undefined for anonymous requests. */
  user: string | undefined;
  /** Takes a lowercase name. */
  header(name: string): string | undefined;
}

/** The request varies by user: the policy asks for it, or it is not public and someone is signed in. */
export function variesByUser(policy: CachePolicy, request: CacheableRequest): boolean {
  return request.user !== undefined && (policy.varyUser || !policy.public);
}

/**
 * A fixed-length key: sha256 over the policy, the path and whatever the policy varies by. Each part
 * is length-prefixed, so no choice of values can make two different requests hash the same input.
 */
export function cacheKey(policy: CachePolicy, request: CacheableRequest): string {
  const hash = createHash('sha256');
  const part = (value: string) => hash.update(`${value.length}:${value}`);
  const queryAt = request.url.indexOf('?');
  part(policy.name);
  part(queryAt === -1 ? request.url : request.url.slice(0, queryAt));
  part(policy.varyQuery && queryAt !== -1 ? request.url.slice(queryAt + 1) : '');
  part(variesByUser(policy, request) ? `u:${request.user as string}` : '-');
  for (const name of policy.varyHeaders) part(request.header(name) ?? '');
  return hash.digest('base64url');
}
