import { z } from 'zod';
import type { KeyedIssue } from './route-file-issue.js';
import { parseRoutePath, reachesUnder } from './route-path.js';
import { upstreamName } from './upstream-spec.schema.js';

/**
 * What the checks below read from a route. A field that is missing or malformed reads as absent, so a
 * route with an unrelated mistake is still checked and one run reports every problem.
 */
export const routeReferences = z
  .object({
    id: z.string().optional().catch(undefined),
    path: z.string().optional().catch(undefined),
    upstream: upstreamName.optional().catch(undefined),
    split: z
      .array(z.object({ upstream: upstreamName.optional().catch(undefined) }))
      .optional()
      .catch(undefined),
    mirror: z.object({ upstream: upstreamName }).optional().catch(undefined),
  })
  .catch({});

export type RouteReferences = z.output<typeof routeReferences>;

export const routeFileReferences = z
  .object({
    upstreams: z.record(z.string(), z.unknown()).catch({}),
    routes: z.array(routeReferences).catch([]),
  })
  .catch({ upstreams: {}, routes: [] });

/** Rules one route's schema cannot see: the upstreams it names exist, and it leaves the gateway's own paths alone. */
export function checkRoute(
  route: RouteReferences,
  upstreamNames: ReadonlySet<string>,
  reservedPrefixes: readonly string[],
): KeyedIssue[] {
  const issues: KeyedIssue[] = [];
  const reference = (name: string | undefined, path: PropertyKey[]) => {
    if (name !== undefined && !upstreamNames.has(name)) issues.push({ path, message: `unknown upstream "${name}"` });
  };
  reference(route.upstream, ['upstream']);
  route.split?.forEach((entry, index) => reference(entry.upstream, ['split', index, 'upstream']));
  reference(route.mirror?.upstream, ['mirror', 'upstream']);

  const path = route.path === undefined ? undefined : parseRoutePath(route.path);
  const shadowed = path?.ok ? reservedPrefixes.filter((prefix) => reachesUnder(path.path, prefix)) : [];
  if (shadowed.length > 0) {
    issues.push({ path: ['path'], message: `shadows the gateway's own ${shadowed.join(', ')}, which the gateway answers itself` });
  }
  return issues;
}

/** The same rules for every route of a file, plus unique ids. */
export function checkRoutes(
  routes: readonly RouteReferences[],
  upstreamNames: ReadonlySet<string>,
  reservedPrefixes: readonly string[],
): KeyedIssue[] {
  const issues: KeyedIssue[] = [];
  const firstUse = new Map<string, number>();
  routes.forEach((route, index) => {
    for (const issue of checkRoute(route, upstreamNames, reservedPrefixes)) {
      issues.push({ path: ['routes', index, ...issue.path], message: issue.message });
    }
    if (route.id === undefined) return;
    const first = firstUse.get(route.id);
    if (first === undefined) firstUse.set(route.id, index);
    else issues.push({ path: ['routes', index, 'id'], message: `duplicate route id "${route.id}", first used by routes[${first}]` });
  });
  return issues;
}
