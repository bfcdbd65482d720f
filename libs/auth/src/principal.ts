/** The authenticated caller, as handlers see it. */
export interface Principal {
  /** The token's `sub`: in the example domain, the player id. */
  sub: string;
  roles: readonly string[];
  claims: Readonly<Record<string, unknown>>;
}

export function rolesFrom(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((role): role is string => typeof role === 'string');
  if (typeof claim === 'string') return claim.split(' ').filter(Boolean);
  return [];
}
