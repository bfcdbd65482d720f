import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lobby } from './support/api-types.js';
import { call, expectProblem, type CallResult } from './support/http.js';
import { startStack, type Stack } from './support/stack.js';
import { bearer, token, unsignedToken, type TokenOptions } from './support/token.js';

const BODY_LIMIT = 1_024;
const ISSUER = 'https://id.e2e.portico.test/';
const AUDIENCE = 'portico-e2e';

describe('bad input answers problem+json', () => {
  let stack: Stack | undefined;
  let base: string;
  /** A token the gateway accepts: right secret, issuer and audience, expiring. */
  const valid = (sub = 'p1', options: TokenOptions = {}) => token(sub, { issuer: ISSUER, audience: AUDIENCE, ...options });

  beforeAll(async () => {
    stack = await startStack({
      gatewayEnv: { BODY_LIMIT_BYTES: String(BODY_LIMIT), JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE },
    });
    base = stack.baseUrl;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('a token with the configured issuer and audience is accepted (the baseline the 401s below differ from)', async () => {
    const result = await call<Lobby>(base, '/api/v1/lobby', { headers: bearer(valid()) });

    expect(result.status, result.text).toBe(200);
    expect(result.body.tables).toHaveLength(5);
  });

  describe('request bodies and parameters', () => {
    it('malformed JSON on POST join is a 400 problem', async () => {
      const result = await call(base, '/api/v1/tables/t4/join', {
        method: 'POST',
        headers: { ...bearer(valid()), 'content-type': 'application/json' },
        body: '{"seat": ',
      });

      const problem = expectProblem(result, 400, 'bad-request');
      expect(problem.instance).toBe('/api/v1/tables/t4/join');
      expect(problem.detail.toLowerCase()).toContain('json');
    });

    it('a URL with broken percent-encoding is a 400 problem', async () => {
      const result = await call(base, '/api/v1/tables/t%zz', { headers: bearer(valid()) });
      const problem = expectProblem(result, 400, 'bad-request');
      expect(problem.instance).toBe('/api/v1/tables/t%zz');
      // Refused by the router before any hook runs, yet with the headers every answer carries.
      expect(result.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it('a body in a content type no parser handles is a 415 problem', async () => {
      const result = await call(base, '/api/v1/tables/t4/join', {
        method: 'POST',
        headers: { ...bearer(valid()), 'content-type': 'application/xml' },
        body: '<join/>',
      });

      const problem = expectProblem(result, 415, 'unsupported-media-type');
      expect(problem.instance).toBe('/api/v1/tables/t4/join');
    });

    it(`a body over BODY_LIMIT_BYTES (${BODY_LIMIT}) is a 413 problem`, async () => {
      const result = await call(base, '/api/v1/tables/t4/join', {
        method: 'POST',
        headers: { ...bearer(valid()), 'content-type': 'application/json' },
        body: JSON.stringify({ padding: 'x'.repeat(BODY_LIMIT * 4) }),
      });

      const problem = expectProblem(result, 413, 'payload-too-large');
      expect(problem.instance).toBe('/api/v1/tables/t4/join');
    });

    it('none of the failed bodies seated anyone at t4', async () => {
      const result = await call<{ table: { seats: unknown[] } }>(base, '/api/v1/tables/t4', { headers: bearer(valid()) });

      expect(result.status, result.text).toBe(200);
      expect(result.body.table.seats).toEqual([]);
    });

    it('an invalid table id is a 400 problem naming the field', async () => {
      const result = await call(base, `/api/v1/tables/${encodeURIComponent('bad$id')}`, { headers: bearer(valid()) });

      const problem = expectProblem(result, 400, 'validation-failed');
      expect(problem.errors?.[0]?.field).toBe('id');
      expect(problem.errors?.[0]?.message).toEqual(expect.any(String));
    });

    it('an invalid table id on join is a 400 problem naming the field too', async () => {
      const result = await call(base, `/api/v1/tables/${'x'.repeat(65)}/join`, { method: 'POST', headers: bearer(valid()) });

      const problem = expectProblem(result, 400, 'validation-failed');
      expect(problem.errors?.map((error) => error.field)).toEqual(['id']);
    });

    it('an unknown route is a 404 problem, with or without a token', async () => {
      const withToken = expectProblem(await call(base, '/api/v1/nothing-here', { headers: bearer(valid()) }), 404, 'not-found');
      expect(withToken.instance).toBe('/api/v1/nothing-here');
      const anonymous = expectProblem(await call(base, '/no/such/route?x=1'), 404, 'not-found');
      expect(anonymous.instance).toBe('/no/such/route');
    });
  });

  describe('authentication', () => {
    const rejected = async (authorization: string | undefined): Promise<CallResult> =>
      call(base, '/api/v1/lobby', { headers: authorization === undefined ? {} : { authorization } });

    it('no token is a 401 problem with a bare Bearer challenge', async () => {
      const result = await rejected(undefined);

      expectProblem(result, 401, 'unauthorized');
      const challenge = result.headers.get('www-authenticate');
      expect(challenge).toMatch(/^Bearer\b/);
      expect(challenge).not.toContain('error=');
    });

    it('a non-Bearer authorization scheme is a 401 problem', async () => {
      const result = await rejected(`Basic ${Buffer.from('p1:secret').toString('base64')}`);

      expectProblem(result, 401, 'unauthorized');
      expect(result.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    });

    const cases: [string, () => string][] = [
      ['garbage', () => 'this-is.not-a.jwt'],
      ['expired', () => valid('p1', { expiresInSeconds: null, claims: { exp: Math.floor(Date.now() / 1000) - 3_600 } })],
      ['without exp', () => valid('p1', { expiresInSeconds: null })],
      ['without sub', () => token(undefined, { issuer: ISSUER, audience: AUDIENCE })],
      ['signed with another secret', () => valid('p1', { key: 'some-other-secret-0123456789abcdef' })],
      ['HS512 while HS256 is pinned', () => valid('p1', { algorithm: 'HS512' })],
      [
        'RS256 while HS256 is pinned',
        () => {
          const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
          return valid('p1', { algorithm: 'RS256', key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
        },
      ],
      [
        'alg none',
        () => unsignedToken({ sub: 'p1', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 }),
      ],
      ['from another issuer', () => valid('p1', { issuer: 'https://evil.example/' })],
      ['without an issuer', () => token('p1', { audience: AUDIENCE })],
      ['for another audience', () => valid('p1', { audience: 'someone-else' })],
      ['without an audience', () => token('p1', { issuer: ISSUER })],
    ];

    it.each(cases)('a token %s is a 401 problem with an invalid_token challenge', async (_name, make) => {
      const result = await rejected(`Bearer ${make()}`);

      const problem = expectProblem(result, 401, 'unauthorized');
      expect(problem.instance).toBe('/api/v1/lobby');
      expect(result.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    });
  });
});
