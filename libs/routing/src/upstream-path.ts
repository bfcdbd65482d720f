import { decodeSegment, PARAM_NAME, staticPrefix, type RoutePath } from './route-path.js';

/**
 * How a matched request's path becomes the path sent upstream. A rewrite is literal text and capture
 * indexes: captures are the route's parameters in path order, then the wildcard's rest.
 */
export type UpstreamPathRule =
  | { readonly kind: 'original' }
  | { readonly kind: 'strip'; readonly segments: number }
  | { readonly kind: 'rewrite'; readonly parts: readonly (string | number)[] };

export type UpstreamPathCompile =
  | { ok: true; rule: UpstreamPathRule }
  | { ok: false; field: 'stripPrefix' | 'rewrite'; message: string };

export function compileUpstreamPath(
  { stripPrefix, rewrite }: { stripPrefix?: string | undefined; rewrite?: string | undefined },
  path: RoutePath,
): UpstreamPathCompile {
  if (stripPrefix !== undefined && rewrite !== undefined) {
    return { ok: false, field: 'rewrite', message: 'set either stripPrefix or rewrite, not both' };
  }
  if (stripPrefix !== undefined) {
    const segments = prefixLength(stripPrefix, path);
    if (segments === undefined) {
      const prefix = `/${staticPrefix(path).join('/')}`;
      return { ok: false, field: 'stripPrefix', message: `must be whole leading segments of the path's static part ${prefix}` };
    }
    return { ok: true, rule: { kind: 'strip', segments } };
  }
  if (rewrite !== undefined) {
    const parts = rewriteParts(rewrite, path);
    return typeof parts === 'string'
      ? { ok: false, field: 'rewrite', message: parts }
      : { ok: true, rule: { kind: 'rewrite', parts } };
  }
  return { ok: true, rule: { kind: 'original' } };
}

/** Segments the prefix removes, or undefined when it is not a segment-wise prefix of the static part. */
function prefixLength(prefix: string, path: RoutePath): number | undefined {
  if (!prefix.startsWith('/')) return undefined;
  const texts = prefix.split('/').filter((text) => text !== '');
  const statics = staticPrefix(path);
  if (texts.length > statics.length) return undefined;
  return texts.every((text, index) => decodeSegment(text) === statics[index]) ? texts.length : undefined;
}

const REFERENCE = /\$(\d+)/g;

function rewriteParts(template: string, path: RoutePath): (string | number)[] | string {
  if (!template.startsWith('/')) return 'must start with /';
  if (/[\s?#]/.test(template)) return 'the path sent upstream has no spaces, query or fragment';
  const params = path.segments.flatMap((segment) => (segment.kind === 'param' ? [segment.name] : []));
  const captures = params.length + (path.wildcard ? 1 : 0);
  const parts: (string | number)[] = [];
  let literal = '';
  const capture = (index: number) => {
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(index);
  };
  for (const [position, segment] of template.split('/').entries()) {
    if (position > 0) literal += '/';
    // `:name` only as a whole segment, as in paths, so `/v1/items:batchGet` stays text.
    if (segment.startsWith(':') && PARAM_NAME.test(segment.slice(1))) {
      const index = params.indexOf(segment.slice(1));
      if (index < 0) return `${segment} is not a parameter of the path`;
      capture(index);
      continue;
    }
    let last = 0;
    for (const reference of segment.matchAll(REFERENCE)) {
      const number = Number(reference[1]);
      if (number < 1 || number > captures) {
        return `$${reference[1]} refers to no capture: the path has ${captures} (parameters in order, then the wildcard)`;
      }
      literal += segment.slice(last, reference.index);
      capture(number - 1);
      last = reference.index + reference[0].length;
    }
    literal += segment.slice(last);
  }
  if (literal !== '') parts.push(literal);
  return parts;
}

/** Captured values are the request's raw text, so encoding the client chose reaches the upstream unchanged. */
export function applyRewrite(parts: readonly (string | number)[], captures: readonly string[]): string {
  let path = '';
  for (const part of parts) path += typeof part === 'string' ? part : (captures[part] ?? '');
  return path;
}
