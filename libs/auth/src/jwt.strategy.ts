import { createSecretKey } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { passportJwtSecret } from 'jwks-rsa';
import { ExtractJwt, Strategy, type SecretOrKeyProvider } from 'passport-jwt';
import { AUTH_OPTIONS, type AuthOptions, type KeySource } from './auth-options.js';
import { rolesFrom, type Principal } from './principal.js';

export class TokenRejected extends Error {}

type KeyOptions = { secretOrKey: string | Buffer } | { secretOrKeyProvider: SecretOrKeyProvider };

function keyOptions(keys: KeySource): KeyOptions {
  switch (keys.kind) {
    case 'secret':
      // A ready KeyObject: given a string, jsonwebtoken first tries (and fails) to parse it as a public
      // key on every verification, a measurable cost per request. passport-jwt hands the key through as is.
      return { secretOrKey: createSecretKey(Buffer.from(keys.secret, 'utf8')) as unknown as Buffer };
    case 'public-key':
      return { secretOrKey: keys.publicKey };
    case 'jwks':
      // Keys are cached; an unknown `kid` triggers a refetch, itself rate-limited so forged kids cannot hammer the issuer.
      return {
        secretOrKeyProvider: passportJwtSecret({
          jwksUri: keys.jwksUri,
          cache: true,
          cacheMaxAge: 10 * 60_000,
          rateLimit: true,
          jwksRequestsPerMinute: 10,
          timeout: 5_000,
        }),
      };
  }
}

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(@Inject(AUTH_OPTIONS) private readonly options: AuthOptions) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms: options.algorithms,
      ...(options.issuer !== undefined && { issuer: options.issuer }),
      ...(options.audience !== undefined && { audience: options.audience }),
      jsonWebTokenOptions: { clockTolerance: options.clockToleranceSeconds },
      ...keyOptions(options.keys),
    });
  }

  validate(payload: Record<string, unknown>): Principal {
    // jsonwebtoken checks `exp` only when present; a token that never expires is refused here.
    if (typeof payload['exp'] !== 'number') throw new TokenRejected('token has no exp claim');
    const sub = payload['sub'];
    if (typeof sub !== 'string' || sub === '') throw new TokenRejected('token has no sub claim');
    return { sub, roles: rolesFrom(payload[this.options.rolesClaim]), claims: payload };
  }
}
