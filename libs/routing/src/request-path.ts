import { decodeSegment } from './route-path.js';

/** A request's path split once per request and shared by every route it is tried against. */
export class RequestPath {
  private constructor(
    readonly raw: string,
    /** As the client sent them, for the path that goes upstream. */
    readonly segments: readonly string[],
    /** Percent-decoded, for comparing with the route file; a malformed encoding stays literal. */
    readonly decoded: readonly string[],
  ) {}

  /**
   * Undefined for a path no route should match: one that does not start with `/`, or has an empty
   * segment before the last (`//`) or a `.`/`..` segment (also encoded). An upstream that merges
   * slashes or resolves dots would see a different path than the one the route (and its auth) matched.
   */
  static parse(raw: string): RequestPath | undefined {
    if (!raw.startsWith('/')) return undefined;
    // split then shift: several times faster than splitting raw.slice(1) in V8.
    const segments = raw.split('/');
    segments.shift();
    if (raw === '/') segments.length = 0;
    const decoded = raw.includes('%') ? segments.map((segment) => decodeSegment(segment) ?? segment) : segments;
    const last = decoded.length - 1;
    for (let index = 0; index <= last; index++) {
      const segment = decoded[index];
      if ((segment === '' && index < last) || segment === '.' || segment === '..') return undefined;
    }
    return new RequestPath(raw, segments, decoded);
  }

  /** The raw path after the first `count` segments: empty, or starting with `/`. */
  restAfter(count: number): string {
    let offset = 0;
    for (let index = 0; index < count; index++) offset += 1 + (this.segments[index]?.length ?? 0);
    return this.raw.slice(offset);
  }
}
