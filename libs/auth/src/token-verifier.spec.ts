import { ProblemException } from '@portico/errors';
import jwt from 'jsonwebtoken';
import { describe, expect, it, vi } from 'vitest';
import { TokenVerifier } from './token-verifier.js';

const SECRET = 'unit-test-secret-of-enough-length';
const verifier = new TokenVerifier({
  keys: { kind: 'secret', secret: SECRET },
  algorithms: ['HS256'],
  audience: 'portico',
  rolesClaim: 'roles',
  clockToleranceSeconds: 0,
});

function sign(claims: object, options: jwt.SignOptions = {}): string {
  return jwt.sign(claims, SECRET, { algorithm: 'HS256', subject: 'p1', audience: 'portico', expiresIn: 60, ...options });
}

async function problemOf(authorization: string | undefined): Promise<ProblemException['problem']> {
  const error: unknown = await verifier.authenticate(authorization).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProblemException);
  return (error as ProblemException).problem;
}

describe('TokenVerifier', () => {
  it('accepts a remembered token only until it expires', async () => {
    vi.useFakeTimers({ now: Date.now() });
    try {
      const token = sign({}, { expiresIn: 2 });
      await expect(verifier.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ sub: 'p1' });
      await expect(verifier.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ sub: 'p1' });
      vi.advanceTimersByTime(2_500);
      await expect(verifier.authenticate(`Bearer ${token}`)).rejects.toThrow('jwt expired');
    } finally {
      vi.useRealTimers();
    }
  });

  it('recalls a token without waiting only once it verified, and only until it expires', async () => {
    vi.useFakeTimers({ now: Date.now() });
    try {
      const token = sign({ roles: ['player'] }, { expiresIn: 2 });
      expect(verifier.recall(`Bearer ${token}`)).toBeUndefined();
      await verifier.authenticate(`Bearer ${token}`);
      expect(verifier.recall(`Bearer ${token}`)).toMatchObject({ sub: 'p1', roles: ['player'] });
      expect(verifier.recall(undefined)).toBeUndefined();
      expect(verifier.recall(`Basic ${token}`)).toBeUndefined();
      vi.advanceTimersByTime(2_500);
      expect(verifier.recall(`Bearer ${token}`)).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('turns a valid bearer token into the principal', async () => {
    const principal = await verifier.authenticate(`Bearer ${sign({ roles: ['admin'] })}`);
    expect(principal).toMatchObject({ sub: 'p1', roles: ['admin'] });
  });

  it('asks for a token without naming an error when none is presented', async () => {
    for (const header of [undefined, '', 'Basic abc', 'Bearer']) {
      const problem = await problemOf(header);
      expect(problem.status).toBe(401);
      expect(problem.detail).toBe('a bearer token is required');
      expect(problem.headers?.['www-authenticate']).toBe('Bearer realm="portico"');
    }
  });

  it('refuses expired, foreign, mis-addressed and exp-less tokens with the reason', async () => {
    const cases: Array<[string, string]> = [
      [sign({}, { expiresIn: -10 }), 'jwt expired'],
      [jwt.sign({}, 'another-secret-of-enough-length', { algorithm: 'HS256', subject: 'p1', audience: 'portico', expiresIn: 60 }), 'invalid signature'],
      [sign({}, { audience: 'elsewhere' }), 'jwt audience invalid. expected: portico'],
      [jwt.sign({ sub: 'p1', aud: 'portico' }, SECRET, { algorithm: 'HS256' }), 'token has no exp claim'],
      [sign({}, { algorithm: 'HS512' }), 'invalid algorithm'],
      ['not-a-jwt', 'jwt malformed'],
    ];
    for (const [token, detail] of cases) {
      const problem = await problemOf(`Bearer ${token}`);
      expect(problem.status).toBe(401);
      expect(problem.detail).toBe(detail);
      expect(problem.headers?.['www-authenticate']).toContain('error="invalid_token"');
    }
  });
});
