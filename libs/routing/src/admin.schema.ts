import { z } from 'zod';

const TargetState = z
  .object({
    url: z.string(),
    // Whole in the route file; a registry may announce fractions.
    weight: z.number().positive(),
    metadata: z.record(z.string(), z.string()),
    health: z.enum(['healthy', 'unhealthy', 'unknown']),
    circuit: z.enum(['closed', 'open', 'half-open']),
    inFlight: z.number().int(),
  })
  .meta({ id: 'TargetState' });

export const UpstreamListSchema = z
  .object({
    upstreams: z.array(
      z.object({
        name: z.string(),
        balancer: z.string(),
        discovery: z
          .object({
            service: z.string(),
            state: z.enum(['pending', 'live', 'unreachable']).describe('The registry’s; while unreachable, the last known instances keep serving'),
          })
          .optional()
          .describe('For an upstream whose targets are the instances of a discovered service'),
        targets: z.array(TargetState),
      }),
    ),
  })
  .meta({ id: 'UpstreamList' });

export const RouteListSchema = z
  .object({
    version: z.number().int().describe('Increases with every applied reload or change'),
    loadedAt: z.iso.datetime(),
    routes: z.array(
      z.object({
        id: z.string(),
        source: z.enum(['file', 'admin']).describe('admin: added or replaced through this API; survives file reloads'),
        spec: z.record(z.string(), z.unknown()).describe('The route as the table holds it, defaults filled in'),
      }),
    ),
  })
  .meta({ id: 'RouteList' });

export const RouteListQuerySchema = z.object({
  source: z.enum(['file', 'admin']).optional().describe('Only the routes from the route file, or only those put through this API'),
});

/** A route as PUT carries it; its fields are checked by the route table, which names each bad one (422). */
export const RouteBodySchema = z.record(z.string(), z.unknown());

export const ReloadResultSchema = z
  .object({ version: z.number().int(), routes: z.number().int(), upstreams: z.number().int() })
  .meta({ id: 'ReloadResult' });

export type UpstreamList = z.infer<typeof UpstreamListSchema>;
export type RouteList = z.infer<typeof RouteListSchema>;
export type RouteListQuery = z.infer<typeof RouteListQuerySchema>;
export type ReloadResult = z.infer<typeof ReloadResultSchema>;
