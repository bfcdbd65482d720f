import type { Algorithm } from 'jsonwebtoken';

/** Where the gateway gets the keys that verify tokens; exactly one, chosen by configuration. */
export type KeySource =
  | { kind: 'secret'; secret: string }
  | { kind: 'public-key'; publicKey: string }
  | { kind: 'jwks'; jwksUri: string };

export interface AuthOptions {
  keys: KeySource;
  /** Pinned by configuration; the token's own `alg` header is never trusted to choose. */
  algorithms: Algorithm[];
  issuer?: string;
  audience?: string;
  /** Claim holding the caller's roles (an array of strings, or one space-separated string). */
  rolesClaim: string;
  clockToleranceSeconds: number;
}

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');
