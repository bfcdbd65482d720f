import { Inject, Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { AUTH_OPTIONS, type AuthOptions } from './auth-options.js';
import { unauthorized } from './auth-problems.js';
import { principalFromClaims, type Principal } from './principal.js';
import { SigningKeys } from './signing-keys.js';

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;

/**
 * Verified tokens are remembered for at most this long (and never past their own expiry), as Envoy's
 * jwt_authn cache does: the same token string always verifies the same way while the keys stand, and
 * the HMAC or RSA check plus two JSON parses are the largest per-request cost of a proxied call.
 * Bounding the age bounds how long a token signed by a since-removed JWKS key is still accepted.
 */
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_MAX_ENTRIES = 10_000;

interface Verified {
  principal: Principal;
  /** Epoch ms after which the entry must be verified again. */
  until: number;
}

/**
 * Verifies bearer tokens for callers outside Nest's guard pipeline (the edge proxy, socket
 * handshakes) with the same keys, pinned algorithms, issuer, audience, clock tolerance and claim
 * rules as the REST guard's passport strategy.
 */
@Injectable()
export class TokenVerifier {
  readonly keys: SigningKeys;
  readonly verifyOptions: jwt.VerifyOptions & { complete: false };
  private readonly verified = new Map<string, Verified>();

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
    const now = Date.now();
    const remembered = this.verified.get(token);
    if (remembered !== undefined && now < remembered.until) return remembered.principal;
    const key = this.keys.fixed ?? (await this.keys.forKeyId(jwt.decode(token, { complete: true })?.header.kid));
    const payload = jwt.verify(token, key, this.verifyOptions);
    if (typeof payload === 'string') throw new jwt.JsonWebTokenError('jwt payload must be a JSON object');
    const principal = principalFromClaims(payload, this.options.rolesClaim);
    this.remember(token, principal, now);
    return principal;
  }

  private remember(token: string, principal: Principal, now: number): void {
    // principalFromClaims has checked that exp is a number; jsonwebtoken accepts it up to the tolerance.
    const expiresAt = ((principal.claims['exp'] as number) + this.options.clockToleranceSeconds) * 1000;
    this.verified.delete(token);
    // Map keeps insertion order: the first key is the least recently verified.
    if (this.verified.size >= VERIFIED_MAX_ENTRIES) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { principal, until: Math.min(expiresAt, now + VERIFIED_TTL_MS) });
  }

  /**
   * The principal of an `Authorization` header whose token verified recently, without waiting;
   * undefined when it must go through authenticate(). A hot path (the edge proxy) saves the promises.
   */
  recall(authorization: string | undefined): Principal | undefined {
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    const remembered = token === undefined ? undefined : this.verified.get(token);
    return remembered !== undefined && Date.now() < remembered.until ? remembered.principal : undefined;
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
