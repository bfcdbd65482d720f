import { Controller, Get } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { ProblemFilter } from '@portico/errors';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthModule } from './auth.module.js';
import { CurrentPrincipal, Public, Roles } from './decorators.js';
import type { Principal } from './principal.js';

const SECRET = 'unit-test-secret-of-enough-length';

@Controller()
class ProbeController {
  @Public()
  @Get('open')
  open() {
    return { ok: true };
  }

  @Get('whoami')
  whoami(@CurrentPrincipal() principal: Principal) {
    return { sub: principal.sub, roles: principal.roles };
  }

  @Roles('admin')
  @Get('admin')
  admin() {
    return { ok: true };
  }
}

function sign(claims: object, options: jwt.SignOptions = {}, secret = SECRET): string {
  const merged: jwt.SignOptions = { algorithm: 'HS256', subject: 'p1', expiresIn: 60, ...options };
  // jsonwebtoken rejects an explicit `expiresIn: undefined`; drop it to sign a token without exp.
  if (merged.expiresIn === undefined) delete merged.expiresIn;
  return jwt.sign(claims, secret, merged);
}

describe('AuthModule', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuthModule.forRoot({
          keys: { kind: 'secret', secret: SECRET },
          algorithms: ['HS256'],
          issuer: 'https://issuer.test',
          audience: 'portico',
          rolesClaim: 'roles',
          clockToleranceSeconds: 0,
        }),
      ],
      controllers: [ProbeController],
      providers: [{ provide: APP_FILTER, useClass: ProblemFilter }],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(() => app.close());

  const get = (url: string, token?: string) =>
    app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const valid = (claims: object = {}, options: jwt.SignOptions = {}) =>
    sign({ roles: ['player'], ...claims }, { issuer: 'https://issuer.test', audience: 'portico', ...options });

  it('lets anyone through a @Public() route', async () => {
    expect((await get('/open')).statusCode).toBe(200);
  });

  it('gives the handler the principal from a valid token', async () => {
    const response = await get('/whoami', valid());
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ sub: 'p1', roles: ['player'] });
  });

  it('asks for a token with a bare Bearer challenge when none is sent', async () => {
    const response = await get('/whoami');
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.headers['www-authenticate']).toBe('Bearer realm="portico"');
    expect(response.json()).toMatchObject({ status: 401, detail: 'a bearer token is required' });
  });

  it.each([
    ['expired', () => valid({ exp: Math.floor(Date.now() / 1000) - 10 }, { expiresIn: undefined }), 'jwt expired'],
    ['without exp', () => sign({ roles: [] }, { expiresIn: undefined, issuer: 'https://issuer.test', audience: 'portico' }), 'token has no exp claim'],
    ['signed with another secret', () => sign({}, { issuer: 'https://issuer.test', audience: 'portico' }, 'another-secret-of-enough-length'), 'invalid signature'],
    ['from another issuer', () => valid({}, { issuer: 'https://evil.test' }), 'jwt issuer invalid'],
    ['for another audience', () => valid({}, { audience: 'someone-else' }), 'jwt audience invalid'],
    ['with a pinned-out algorithm', () => valid({}, { algorithm: 'HS512' }), 'invalid algorithm'],
    ['unsigned (alg none)', () => jwt.sign({ roles: [] }, '', { algorithm: 'none', subject: 'p1', expiresIn: 60 }), 'jwt signature is required'],
  ])('refuses a token %s', async (_, token, reason) => {
    const response = await get('/whoami', token());
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ status: 401, detail: expect.stringContaining(reason) as string });
    expect(response.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('refuses a token without a subject', async () => {
    const token = jwt.sign({ roles: [] }, SECRET, { expiresIn: 60, issuer: 'https://issuer.test', audience: 'portico' });
    expect((await get('/whoami', token)).json()).toMatchObject({ status: 401, detail: 'token has no sub claim' });
  });

  it('answers 403 problem+json when a required role is missing, 200 when present', async () => {
    const forbidden = await get('/admin', valid());
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toMatchObject({ type: 'https://portico.dev/problems/forbidden', detail: 'requires one of the roles: admin' });
    expect((await get('/admin', valid({ roles: ['admin'] }))).statusCode).toBe(200);
  });

  it('reads space-separated roles too', async () => {
    expect((await get('/admin', valid({ roles: 'player admin' }))).statusCode).toBe(200);
  });
});
