import type { HeaderMap } from './hop-by-hop.js';

/** A route's header transform: names are lower-case; removals apply before sets. */
export interface HeaderRules {
  set: Readonly<Record<string, string>>;
  remove: readonly string[];
}

export function applyHeaderRules(headers: HeaderMap, rules: HeaderRules): void {
  for (const name of rules.remove) delete headers[name];
  for (const name in rules.set) headers[name] = rules.set[name]!;
}
