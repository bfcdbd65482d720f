import { z } from 'zod';

/**
 * What a cached answer varies by, besides method and path: the caller (`user`), the whole query
 * (`query`), or one request header (`header:accept-language`).
 */
export type VaryPart = 'user' | 'query' | `header:${string}`;

/** A cache policy as a decorator or a route file declares it. */
export interface CacheOptions {
  /** How long an entry is fresh: `500ms`, `30s`, `5m`, `1h`, `1d`, or milliseconds. */
  ttl: string | number;
  varyBy?: readonly VaryPart[];
  /** Names to invalidate the entry by, e.g. `tables`. */
  tags?: readonly string[];
  /** Shared by every caller. Without it an authenticated request always varies by user. */
  public?: boolean;
  /** How long after `ttl` an entry may still be served while one refresh runs. */
  staleWhileRevalidate?: string | number;
}

/** A policy ready to apply: durations in milliseconds, headers lowercased, every default filled in. */
export interface CachePolicy {
  /** The route it belongs to: labels metrics and is what `routes` invalidation names. */
  name: string;
  ttlMs: number;
  staleMs: number;
  public: boolean;
  varyUser: boolean;
  varyQuery: boolean;
  varyHeaders: readonly string[];
  tags: readonly string[];
  /** The tags whose versions guard its entries: its own, plus `route:<name>` so the route can be invalidated by name. */
  guards: readonly string[];
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(value: string | number, what: string): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new Error(`${what} must be a whole number of ms, got ${value}`);
    return value;
  }
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  if (!match) throw new Error(`${what} "${value}" is not like 500ms, 30s, 5m, 1h or 1d`);
  return Number(match[1]) * (UNITS[match[2] as string] as number);
}

const TAG = /^[A-Za-z0-9_.:-]{1,64}$/;
const VARY = /^(user|query|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/;

export function compileCachePolicy(options: CacheOptions, name: string): CachePolicy {
  const ttlMs = parseDuration(options.ttl, 'cache ttl');
  if (ttlMs <= 0) throw new Error('cache ttl must be longer than zero');
  const varyBy = options.varyBy ?? [];
  for (const part of varyBy) if (!VARY.test(part)) throw new Error(`cache varyBy "${part}" is not user, query or header:<name>`);
  for (const tag of options.tags ?? []) if (!TAG.test(tag)) throw new Error(`cache tag "${tag}" must be 1-64 letters, digits, _ . : or -`);
  return {
    name,
    ttlMs,
    staleMs: options.staleWhileRevalidate === undefined ? 0 : parseDuration(options.staleWhileRevalidate, 'cache staleWhileRevalidate'),
    public: options.public ?? false,
    varyUser: varyBy.includes('user'),
    varyQuery: varyBy.includes('query'),
    varyHeaders: varyBy.filter((part) => part.startsWith('header:')).map((part) => part.slice('header:'.length).toLowerCase()),
    tags: [...new Set(options.tags ?? [])],
    guards: [...new Set(options.tags ?? []), `route:${name}`],
  };
}

const duration = (what: string, positive: boolean) =>
  z.union([z.string(), z.int().nonnegative()]).superRefine((value, context) => {
    try {
      if (parseDuration(value, what) === 0 && positive) context.addIssue({ code: 'custom', message: `${what} must be longer than zero` });
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });

/** The route file's `cache:` block; the same shape as `@Cache()`. */
export const cacheOptionsSchema = z
  .strictObject({
    ttl: duration('cache ttl', true),
    varyBy: z
      .array(
        z
          .string()
          .regex(VARY, 'expected user, query or header:<name>')
          .transform((part) => part as VaryPart),
      )
      .default([]),
    tags: z.array(z.string().regex(TAG, 'expected 1-64 letters, digits, _ . : or -')).default([]),
    public: z.boolean().default(false),
    staleWhileRevalidate: duration('cache staleWhileRevalidate', false).optional(),
  })
  .meta({ description: 'cache GET and HEAD answers of this route', example: { ttl: '30s', varyBy: ['query'], tags: ['tables'] } });
