import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { documentationCsp, helmetHeaders, securityHeaders, securityHeadersHook, type HstsMode } from './security-headers.js';

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

describe('documentationCsp', () => {
  const page = '<html><head><style>body { margin: 0 }</style></head><body><svg style="position:absolute"></svg><style></style></body></html>';
  const policy = documentationCsp(page);
  const directive = (name: string) => policy.split('; ').find((part) => part.startsWith(`${name} `));

  it('allows exactly the inline styles of the page by hash, never unsafe-inline', () => {
    expect(directive('style-src')).toBe(
      `style-src 'self' ${hash('body { margin: 0 }')} ${hash('')} 'unsafe-hashes' ${hash('position:absolute')}`,
    );
    expect(policy).not.toContain('unsafe-inline');
  });

  it('loads scripts only from the gateway and may not be framed', () => {
    expect(directive('script-src')).toBe("script-src 'self'");
    expect(directive('frame-ancestors')).toBe("frame-ancestors 'none'");
    expect(directive('object-src')).toBe("object-src 'none'");
  });

  it('needs no unsafe-hashes for a page without style attributes', () => {
    expect(documentationCsp('<style>a{}</style>')).not.toContain('unsafe-hashes');
  });
});

describe('helmetHeaders', () => {
  const headers = helmetHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': ["'none'"] } },
    strictTransportSecurity: false,
    frameguard: { action: 'deny' },
  });

  it('holds what helmet sets, computed once', () => {
    expect(headers).toMatchObject({
      'content-security-policy': "default-src 'none'",
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'cross-origin-opener-policy': 'same-origin',
    });
    expect(headers).not.toHaveProperty('strict-transport-security');
  });
});

describe('securityHeadersHook', () => {
  const sent = (hsts: HstsMode, protocol: 'http' | 'https') => {
    let headers: Record<string, string> = {};
    const reply = { headers: (values: Record<string, string>) => (headers = values) };
    securityHeadersHook(securityHeaders({ hsts, hstsMaxAgeSeconds: 60, docsPath: '/api/docs' }, { 'x-frame-options': 'DENY' }))(
      { protocol } as FastifyRequest,
      reply as unknown as FastifyReply,
      () => undefined,
    );
    return headers;
  };

  it('adds HSTS over https in auto mode, never over plain http', () => {
    expect(sent('auto', 'https')).toEqual({ 'x-frame-options': 'DENY', 'strict-transport-security': 'max-age=60; includeSubDomains' });
    expect(sent('auto', 'http')).toEqual({ 'x-frame-options': 'DENY' });
  });

  it('follows on and off whatever the protocol', () => {
    expect(sent('on', 'http')).toHaveProperty('strict-transport-security');
    expect(sent('off', 'https')).not.toHaveProperty('strict-transport-security');
  });
});
