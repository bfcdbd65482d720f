import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/** `auto`: only on requests that arrived over https, as seen through TRUST_PROXY (X-Forwarded-Proto). */
export const HSTS_MODES = ['auto', 'on', 'off'] as const;
export type HstsMode = (typeof HSTS_MODES)[number];

export interface SecurityHeadersPolicy {
  hsts: HstsMode;
  hstsMaxAgeSeconds: number;
  /** Path prefix of the Swagger UI (e.g. `/api/docs`), whose HTML page gets its own CSP. */
  docsPath: string;
}

/**
 * The gateway answers JSON, which loads nothing: every fetch directive is 'none', and no page may
 * frame it. A proxied upstream that serves HTML sends its own policy, which replaces this one.
 */
export const API_CSP = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

const INLINE_STYLE = /<style>([\s\S]*?)<\/style>/g;
const STYLE_ATTRIBUTE = /\sstyle="([^"]*)"/g;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The Swagger UI page's CSP. Its scripts and stylesheet are files served from 'self'; its HTML also
 * carries inline <style> blocks and one style attribute (the SVG sprite). Rather than 'unsafe-inline',
 * the policy allows exactly those: the hashes of what this very page contains ('unsafe-hashes' lets
 * a hash cover a style attribute). The page is the gateway's own template, with no request input.
 * Swagger UI draws its icons as data: images.
 */
export function documentationCsp(html: string): string {
  const blocks = [...html.matchAll(INLINE_STYLE)].map((match) => sha256(match[1]!));
  const attributes = [...html.matchAll(STYLE_ATTRIBUTE)].map((match) => sha256(match[1]!));
  const styles = ["'self'", ...new Set(blocks), ...(attributes.length > 0 ? ["'unsafe-hashes'", ...new Set(attributes)] : [])];
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src ${styles.join(' ')}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function isHtml(reply: FastifyReply): boolean {
  const type = reply.getHeader('content-type');
  return typeof type === 'string' && type.startsWith('text/html');
}

/** onSend: gives the Swagger UI page the CSP its own content needs. */
export function documentationCspHook(docsPath: string) {
  return (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void): void => {
    if (typeof payload === 'string' && request.url.startsWith(docsPath) && isHtml(reply)) {
      void reply.header('content-security-policy', documentationCsp(payload));
    }
    done(null, payload);
  };
}

/**
 * The headers helmet sets with `options`, worked out once. @fastify/helmet builds helmet's whole
 * middleware chain again on every request (8 % of the proxy's CPU in a profile under load), although
 * without CSP nonces nothing in the result depends on the request. helmet stays the authority on
 * the values; only its evaluation moves to start-up.
 */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string) => {
      headers[name.toLowerCase()] = value;
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  let finished = false;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => {
    finished = true;
  });
  // helmet runs its middlewares synchronously; if that ever changed, these headers would be partial.
  if (!finished) throw new Error('helmet did not finish synchronously; its headers cannot be computed once');
  return headers;
}

/**
 * The security headers for a response, by whether its request came over https: HSTS only makes sense
 * there (over plain http browsers ignore it, and `auto` does not send it). Both sets are built once.
 */
export function securityHeaders(policy: SecurityHeadersPolicy, headers: Readonly<Record<string, string>>): (https: boolean) => Readonly<Record<string, string>> {
  const withHsts = { ...headers, 'strict-transport-security': `max-age=${policy.hstsMaxAgeSeconds}; includeSubDomains` };
  return (https) => (policy.hsts === 'on' || (policy.hsts === 'auto' && https) ? withHsts : headers);
}

/** onRequest: the security headers on every response Fastify serves. */
export function securityHeadersHook(headersFor: (https: boolean) => Readonly<Record<string, string>>) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    void reply.headers(headersFor(request.protocol === 'https'));
    done();
  };
}
