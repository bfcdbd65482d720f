import { ProblemException } from '@portico/errors';
import type { Principal } from './principal.js';

/** 401 with the RFC 6750 challenge; the error is named only when a token was presented. */
export function unauthorized(detail: string, tokenPresented: boolean): ProblemException {
  const challenge = tokenPresented
    ? `Bearer realm="portico", error="invalid_token", error_description="${detail.replaceAll('"', "'")}"`
    : 'Bearer realm="portico"';
  return new ProblemException({
    status: 401,
    slug: 'unauthorized',
    title: 'Unauthorized',
    detail,
    headers: { 'www-authenticate': challenge },
  });
}

/** Passes when no roles are required or the principal holds any of them; otherwise a 403 problem. */
export function requireAnyRole(principal: Principal | undefined, required: readonly string[]): void {
  if (required.length === 0) return;
  if (principal && required.some((role) => principal.roles.includes(role))) return;
  throw new ProblemException({
    status: 403,
    slug: 'forbidden',
    title: 'Forbidden',
    detail: `requires one of the roles: ${required.join(', ')}`,
  });
}
