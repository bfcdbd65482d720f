/** The request header a client (a canary tester, a zone-pinned app) uses to prefer backend instances by metadata. */
export const PREFER_HEADER = 'x-portico-prefer';

const PAIR = /^([a-z][\w-]{0,31})=([\w.-]{1,64})$/i;
const MAX_PAIRS = 4;

/**
 * Reads `version=2` or `version=2,zone=eu-1` into labels backend pools prefer instances by.
 * A preference only narrows the choice while matching instances are available, so it can route
 * to a canary but never to nothing. Anything malformed is ignored rather than refused: it is a hint.
 */
export function parsePreference(header: string | string[] | undefined): Readonly<Record<string, string>> | undefined {
  if (typeof header !== 'string') return undefined;
  const pairs = header.split(',').map((pair) => PAIR.exec(pair.trim()));
  if (pairs.length > MAX_PAIRS || pairs.some((pair) => pair === null)) return undefined;
  return Object.fromEntries(pairs.map((pair) => [pair![1]!.toLowerCase(), pair![2]!]));
}
