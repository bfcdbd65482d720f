import jwt, { type Algorithm } from 'jsonwebtoken';
import { TEST_JWT_SECRET } from './stack.js';

export interface TokenOptions {
  /** Defaults to the stacks' TEST_JWT_SECRET; a PEM private key for RS*. */
  key?: string;
  algorithm?: Algorithm;
  /** Seconds until expiry; `null` leaves `exp` out. */
  expiresInSeconds?: number | null;
  issuer?: string;
  audience?: string;
  keyid?: string;
  claims?: Record<string, unknown>;
}

/** A signed bearer token for `sub` (a player id), valid for the test gateways unless told otherwise. */
export function token(sub: string | undefined, options: TokenOptions = {}): string {
  const payload: Record<string, unknown> = { roles: [], ...options.claims };
  if (sub !== undefined) payload['sub'] = sub;
  const expiresIn = options.expiresInSeconds === undefined ? 300 : options.expiresInSeconds;
  return jwt.sign(payload, options.key ?? TEST_JWT_SECRET, {
    algorithm: options.algorithm ?? 'HS256',
    ...(expiresIn !== null && { expiresIn }),
    ...(options.issuer !== undefined && { issuer: options.issuer }),
    ...(options.audience !== undefined && { audience: options.audience }),
    ...(options.keyid !== undefined && { keyid: options.keyid }),
  });
}

/** A token whose header and payload are exactly these, with no signature: `alg: none`. */
export function unsignedToken(payload: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}

export const bearer = (value: string) => ({ authorization: `Bearer ${value}` });
