/** One segment of a route's path: literal text, compared percent-decoded, or a `:name` parameter. */
export type PathSegment =
  | { readonly kind: 'static'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string };

/** A route's `path`, split once so matching a request compares segments instead of running a RegExp. */
export interface RoutePath {
  readonly segments: readonly PathSegment[];
  /** A final `*`: the rest of the request path, possibly empty. */
  readonly wildcard: boolean;
}

export type RoutePathParse = { ok: true; path: RoutePath } | { ok: false; message: string };

// Starting with a letter keeps names like __proto__ out of the params object.
export const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
// Whitespace, controls, ? and # would make the route file disagree with what a client can send.
const STATIC_TEXT = /^[^\s\p{Cc}?#*]+$/u;

export function parseRoutePath(path: string): RoutePathParse {
  if (!path.startsWith('/')) return { ok: false, message: 'must start with /' };
  const texts = path === '/' ? [] : path.slice(1).split('/');
  const segments: PathSegment[] = [];
  const names = new Set<string>();
  for (const [index, text] of texts.entries()) {
    if (text === '*' && index === texts.length - 1) return { ok: true, path: { segments, wildcard: true } };
    const segment = parseSegment(text, names);
    if (typeof segment === 'string') return { ok: false, message: segment };
    segments.push(segment);
  }
  return { ok: true, path: { segments, wildcard: false } };
}

function parseSegment(text: string, names: Set<string>): PathSegment | string {
  if (text === '') return 'empty segment: remove the doubled or trailing /';
  if (text.includes('*')) return '* is only allowed as the whole last segment, e.g. /api/*';
  if (text.startsWith(':')) {
    const name = text.slice(1);
    if (name === '') return 'a parameter needs a name, e.g. /users/:id';
    if (!PARAM_NAME.test(name)) return `"${text}" is not a parameter: use letters, digits and _, starting with a letter`;
    if (names.has(name)) return `parameter :${name} appears twice`;
    names.add(name);
    return { kind: 'param', name };
  }
  if (!STATIC_TEXT.test(text)) return `"${text}" has characters a request path cannot carry (space, control, ? or #)`;
  const value = decodeSegment(text);
  if (value === undefined) return `"${text}" has a malformed percent-encoding`;
  if (value === '.' || value === '..') return '. and .. segments are not allowed';
  return { kind: 'static', value };
}

/** The segment's text with percent-encoding undone, or undefined when the encoding is malformed. */
export function decodeSegment(text: string): string | undefined {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Leading static segments: the part of the path a stripPrefix may remove. */
export function staticPrefix(path: RoutePath): readonly string[] {
  const values: string[] = [];
  for (const segment of path.segments) {
    if (segment.kind !== 'static') break;
    values.push(segment.value);
  }
  return values;
}

/**
 * Whether some request at or under `prefix` could match this path: a parameter fits any segment and a
 * wildcard the whole rest, so `/:section/*` reaches `/admin/users` as surely as `/admin/*` does.
 */
export function reachesUnder(path: RoutePath, prefix: string): boolean {
  const reserved = prefix.split('/').filter((text) => text !== '');
  for (const [index, text] of reserved.entries()) {
    const segment = path.segments[index];
    if (segment === undefined) return path.wildcard;
    if (segment.kind === 'static' && segment.value !== text) return false;
  }
  return true;
}
