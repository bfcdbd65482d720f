import type { IncomingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1: meaningful for one connection only, never forwarded. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export type HeaderMap = Record<string, string | string[]>;

/**
 * A copy of the headers without hop-by-hop fields, including those the Connection header names, and
 * without `omit` (fields the proxy sets itself).
 */
export function endToEndHeaders(headers: IncomingHttpHeaders, omit: ReadonlySet<string>): HeaderMap {
  const connection = headers.connection;
  const named = connection ? new Set(connection.toLowerCase().split(',').map((token) => token.trim())) : undefined;
  const result: HeaderMap = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP_HEADERS.has(name) || omit.has(name) || named?.has(name)) continue;
    result[name] = value;
  }
  return result;
}
