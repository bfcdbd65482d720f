import { ALGORITHMS, parseWindow, type KeyPart, type RateLimitOptions } from '@portico/rate-limit';
import { z } from 'zod';

const KEY_PARTS = ['ip', 'user', 'apiKey', 'route'] as const satisfies readonly KeyPart[];

const window = z.union([z.string(), z.int().positive()]).superRefine((value, context) => {
  try {
    parseWindow(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** One limit, the same shape as the `@RateLimit()` decorator takes. */
const rateLimitBlock = z
  .strictObject({
    limit: z.int().positive(),
    window: window.meta({ description: '500ms, 10s, 1m, 1h, 1d, or milliseconds', example: '1m' }),
    by: z.union([z.enum(KEY_PARTS), z.array(z.enum(KEY_PARTS)).min(1)]).default('user'),
    algorithm: z.enum(ALGORITHMS).default('fixed-window'),
    burst: z.int().positive().optional(),
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:#-]*$/, 'expected letters, digits and . _ : # -').optional(),
  })
  .refine((block) => block.burst === undefined || block.algorithm === 'token-bucket', {
    path: ['burst'],
    message: 'burst applies to algorithm: token-bucket only',
  }) satisfies z.ZodType<RateLimitOptions>;

/**
 * A route's `rateLimit`: one block, a list of blocks a request must all pass, or `false` to exempt the
 * route from the configured default (RATE_LIMIT_DEFAULT). Left out, the default applies.
 */
export const rateLimitSpec = z.union([z.literal(false), rateLimitBlock, z.array(rateLimitBlock).min(1)]);
