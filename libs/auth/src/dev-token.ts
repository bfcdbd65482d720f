import jwt, { type Algorithm } from 'jsonwebtoken';

export interface DevTokenClaims {
  sub: string;
  roles: readonly string[];
  rolesClaim: string;
  issuer?: string;
  audience?: string;
  expiresInSeconds: number;
  algorithm: Algorithm;
}

/** Signs a token the way a development identity provider would, for the `npm run token` script and tests. */
export function signDevToken(secret: string, claims: DevTokenClaims): string {
  return jwt.sign({ [claims.rolesClaim]: [...claims.roles] }, secret, {
    subject: claims.sub,
    algorithm: claims.algorithm,
    expiresIn: claims.expiresInSeconds,
    ...(claims.issuer !== undefined && { issuer: claims.issuer }),
    ...(claims.audience !== undefined && { audience: claims.audience }),
  });
}
