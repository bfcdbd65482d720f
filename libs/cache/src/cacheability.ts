/** Response headers never replayed from the cache: per connection, per request, or per client. */
const NOT_REPLAYED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'date',
  'age',
  'etag',
  'set-cookie',
  'x-cache',
  'x-request-id',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'ratelimit-policy',
]);

export type HeaderValue = string | string[] | number | undefined;

function text(value: HeaderValue): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

function directives(value: HeaderValue): Set<string> {
  const joined = text(value);
  if (!joined) return new Set();
  return new Set(joined.split(',').map((directive) => directive.trim().toLowerCase().split('=', 1)[0] as string));
}

/**
 * Whether a backend's answer may be stored, and why not. RFC 9111 for a shared cache, with the policy
 * standing in for the freshness lifetime: `no-store` and `no-cache` are never stored (there is no
 * conditional request to the backend to revalidate with), `private` and answers that vary by
 * Authorization or Cookie only when the entry is the caller's own, `Vary: *` and Set-Cookie never.
 */
export function refusal(
  status: number,
  headers: Readonly<Record<string, HeaderValue>>,
  perUser: boolean,
  statuses: ReadonlySet<number>,
): string | undefined {
  if (!statuses.has(status)) return 'status';
  const control = directives(headers['cache-control']);
  if (control.has('no-store') || control.has('no-cache')) return 'no-store';
  if (control.has('private') && !perUser) return 'private';
  if (headers['set-cookie'] !== undefined) return 'set-cookie';
  const vary = directives(headers['vary']);
  if (vary.has('*')) return 'vary';
  if ((vary.has('authorization') || vary.has('cookie')) && !perUser) return 'authorization';
  return undefined;
}

/** The headers an entry replays: end-to-end ones minus what is per request or per client. */
export function replayedHeaders(headers: Readonly<Record<string, HeaderValue>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name in headers) {
    const lower = name.toLowerCase();
    const value = text(headers[name]);
    if (value !== undefined && !NOT_REPLAYED.has(lower)) kept[lower] = value;
  }
  return kept;
}

/** RFC 9110 §13.1.2: `*`, or any listed tag equal to ours (weak comparison, as for GET and HEAD). */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === etag || tag === `W/${etag}`;
  });
}
