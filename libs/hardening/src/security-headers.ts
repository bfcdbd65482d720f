import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

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

/** onRequest: HSTS only makes sense on https; over plain http browsers ignore it, and `auto` does not send it. */
export function hstsHook(policy: SecurityHeadersPolicy) {
  const value = `max-age=${policy.hstsMaxAgeSeconds}; includeSubDomains`;
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if (policy.hsts === 'on' || (policy.hsts === 'auto' && request.protocol === 'https')) {
      void reply.header('strict-transport-security', value);
    }
    done();
  };
}
