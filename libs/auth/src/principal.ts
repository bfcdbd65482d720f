/** The authenticated caller, as handlers see it. */
export interface Principal {
  /** The token's `sub`: in the example domain, the player id. */
  sub: string;
  roles: readonly string[];
  claims: Readonly<Record<string, unknown>>;
}

/** A token that verified cryptographically but breaks one of the gateway's own rules. */
export class TokenRejected extends Error {}

export function rolesFrom(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((role): role is string => typeof role === 'string');
  if (typeof claim === 'string') return claim.split(' ').filter(Boolean);
  return [];
}

/** The principal a verified token's claims describe; the same rules for every transport. */
export function principalFromClaims(payload: Record<string, unknown>, rolesClaim: string): Principal {
  // jsonwebtoken checks `exp` only when present; a token that never expires is refused here.
  if (typeof payload['exp'] !== 'number') throw new TokenRejected('token has no exp claim');
  const sub = payload['sub'];
  if (typeof sub !== 'string' || sub === '') throw new TokenRejected('token has no sub claim');
  return { sub, roles: rolesFrom(payload[rolesClaim]), claims: payload };
}
