import { z } from 'zod';

export const InvalidationRequestSchema = z
  .strictObject({
    tags: z.array(z.string().min(1).max(64)).max(100).default([]).describe('Tags to invalidate, e.g. tables'),
    routes: z
      .array(z.string().min(1).max(256))
      .max(100)
      .default([])
      .describe('Cached routes: a route file route id, or a handler path such as /api/v1/tables/:id'),
  })
  .refine((body) => body.tags.length + body.routes.length > 0, { message: 'name at least one tag or route' })
  .meta({ id: 'CacheInvalidationRequest' });

export const InvalidationResultSchema = z
  .object({
    tags: z.array(z.string()),
    routes: z.array(z.string()),
  })
  .meta({ id: 'CacheInvalidationResult' });

export type InvalidationRequest = z.output<typeof InvalidationRequestSchema>;
export type InvalidationResult = z.output<typeof InvalidationResultSchema>;
