import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import jwt from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AUTH_OPTIONS, type AuthOptions } from './auth-options.js';
import { principalFromClaims, type Principal } from './principal.js';
import { TokenVerifier } from './token-verifier.js';

/** The REST guard's strategy; keys and verification options come from the shared TokenVerifier. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
    verifier: TokenVerifier,
  ) {
    const { keys, verifyOptions } = verifier;
    const { algorithms, issuer, audience, clockTolerance } = verifyOptions;
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms,
      ...(issuer !== undefined && { issuer: issuer as string }),
      ...(audience !== undefined && { audience: audience as string }),
      jsonWebTokenOptions: { clockTolerance },
      // passport-jwt hands a KeyObject through to jsonwebtoken as is, so the key is parsed once.
      ...(keys.fixed
        ? { secretOrKey: keys.fixed as unknown as Buffer }
        : {
            secretOrKeyProvider: (_request: unknown, rawJwt: string, done: (error: unknown, key?: string) => void) => {
              keys.forKeyId(jwt.decode(rawJwt, { complete: true })?.header.kid).then(
                (key) => done(null, key as string),
                (error: unknown) => done(error),
              );
            },
          }),
    });
  }

  validate(payload: Record<string, unknown>): Principal {
    return principalFromClaims(payload, this.options.rolesClaim);
  }
}
