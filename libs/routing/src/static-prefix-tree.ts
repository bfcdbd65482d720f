import type { CompiledRoute } from './compiled-route.js';
import type { RequestPath } from './request-path.js';

interface Branch {
  /** Routes that can match a path whose walk down the tree ends here, in match order. */
  readonly routes: readonly CompiledRoute[];
  readonly children: ReadonlyMap<string, Branch>;
}

/**
 * The routes by the static text their paths start with. A request is tried only against routes whose
 * leading static segments it has, found with one map lookup per segment, so a table of many routes
 * under `/api/...` costs little more per request than a table of a few.
 */
export class StaticPrefixTree {
  private readonly root: Branch;

  /** `routes` in match order; every list the tree hands out keeps it. */
  constructor(routes: readonly CompiledRoute[]) {
    this.root = branch(routes, 0);
  }

  candidates(path: RequestPath): readonly CompiledRoute[] {
    let node = this.root;
    for (const segment of path.decoded) {
      const next = node.children.get(segment);
      if (next === undefined) break;
      node = next;
    }
    return node.routes;
  }
}

/**
 * `routes` all agree with the path to this node. A route whose static prefix ends at or above it can
 * match whatever follows, so it stays in every list below; the others go down the child named by
 * their next static segment.
 */
function branch(routes: readonly CompiledRoute[], depth: number): Branch {
  const ending = (route: CompiledRoute) => route.staticPrefix.length <= depth;
  const keys = new Set(routes.filter((route) => !ending(route)).map((route) => route.staticPrefix[depth]));
  const children = new Map<string, Branch>();
  for (const key of keys) {
    if (key === undefined) continue;
    children.set(key, branch(routes.filter((route) => ending(route) || route.staticPrefix[depth] === key), depth + 1));
  }
  return { routes: routes.filter(ending), children };
}
