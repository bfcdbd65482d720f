import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { JwksClient } from 'jwks-rsa';
import type { KeySource } from './auth-options.js';

/**
 * The keys that verify tokens, resolved once per source. REST guards, the edge proxy and socket
 * handshakes all verify through one instance, so a key rotation or a JWKS cache is shared by all.
 */
export class SigningKeys {
  // A ready KeyObject: given a string, jsonwebtoken first tries (and fails) to parse it as a public
  // key on every verification, a measurable cost per request.
  readonly fixed: KeyObject | undefined;
  private readonly jwks: JwksClient | undefined;

  constructor(source: KeySource) {
    switch (source.kind) {
      case 'secret':
        this.fixed = createSecretKey(Buffer.from(source.secret, 'utf8'));
        break;
      case 'public-key':
        this.fixed = createPublicKey(source.publicKey);
        break;
      case 'jwks':
        // Keys are cached; an unknown `kid` triggers a refetch, itself rate-limited so forged kids cannot hammer the issuer.
        this.jwks = new JwksClient({
          jwksUri: source.jwksUri,
          cache: true,
          cacheMaxAge: 10 * 60_000,
          rateLimit: true,
          jwksRequestsPerMinute: 10,
          timeout: 5_000,
        });
        break;
    }
  }

  /** The key for a token whose header names `kid`; only JWKS sources look it up. */
  async forKeyId(kid: string | undefined): Promise<KeyObject | string> {
    if (this.fixed) return this.fixed;
    const signingKey = await this.jwks!.getSigningKey(kid);
    return signingKey.getPublicKey();
  }
}
