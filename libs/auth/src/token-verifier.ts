import { Inject, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { AUTH_OPTIONS, type AuthOptions } from './auth-options.js';
import { unauthorized } from './auth-problems.js';
import { principalFromClaims, type Principal } from './principal.js';
import { SigningKeys } from './signing-keys.js';

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

/**
 * Verifies bearer tokens for callers outside Nest's guard pipeline (the edge proxy, socket
 * handshakes) with the same keys, pinned algorithms, issuer, audience, clock tolerance and claim
 * rules as the REST guard's passport strategy.
 */
@Injectable()
export class TokenVerifier {
  readonly keys: SigningKeys;
  readonly verifyOptions: jwt.VerifyOptions & { complete: false };

  constructor(@Inject(AUTH_OPTIONS) private readonly options: AuthOptions) {
    this.keys = new SigningKeys(options.keys);
    this.verifyOptions = {
      algorithms: options.algorithms,
      clockTolerance: options.clockToleranceSeconds,
      complete: false,
      ...(options.issuer !== undefined && { issuer: options.issuer }),
      ...(options.audience !== undefined && { audience: options.audience }),
    };
  }

  /** The token's principal; throws jsonwebtoken's or the claim rules' error when it is not acceptable. */
  async verify(token: string): Promise<Principal> {
    const key = this.keys.fixed ?? (await this.keys.forKeyId(jwt.decode(token, { complete: true })?.header.kid));
    const payload = jwt.verify(token, key, this.verifyOptions);
    if (typeof payload === 'string') throw new jwt.JsonWebTokenError('jwt payload must be a JSON object');
    return principalFromClaims(payload, this.options.rolesClaim);
  }

  /** Verifies an `Authorization` header's bearer token; failures are 401 problems worded like the REST guard's. */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (token === undefined) throw unauthorized('a bearer token is required', false);
    try {
      return await this.verify(token);
    } catch (error) {
      throw unauthorized(error instanceof Error ? error.message : 'invalid token', true);
    }
  }
}
