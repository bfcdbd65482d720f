import { z } from 'zod';
import { keyedRecord } from './keyed-record.js';
import { routeSpecSchema } from './route-spec.schema.js';
import { upstreamName, upstreamSpecSchema } from './upstream-spec.schema.js';

/** The whole declarative file; references between its parts are checked afterwards (route-checks.ts). */
export const routeFileSchema = z.strictObject({
  upstreams: keyedRecord(upstreamName, upstreamSpecSchema),
  routes: z.array(routeSpecSchema),
});

export type RouteFile = z.output<typeof routeFileSchema>;
