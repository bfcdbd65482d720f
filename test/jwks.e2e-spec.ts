import { createHmac, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lobby } from './support/api-types.js';
import { call, expectProblem } from './support/http.js';
import { startStack, type Stack } from './support/stack.js';
import { bearer, token } from './support/token.js';

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

function signingKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKey };
}

const publicJwk = (key: SigningKey): JsonWebKey => ({ ...key.publicKey.export({ format: 'jwk' }), kid: key.kid, alg: 'RS256', use: 'sig' });

const rs256 = (key: SigningKey, sub = 'p1') =>
  jwt.sign({ roles: [] }, key.privateKey, { algorithm: 'RS256', keyid: key.kid, subject: sub, expiresIn: 300 });

/** A tiny identity provider: serves whatever keys the test publishes, and counts the fetches. */
class JwksServer {
  readonly keys: JsonWebKey[] = [];
  fetches = 0;
  private readonly server: Server = createServer((request, response) => {
    if (request.url !== '/.well-known/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    this.fetches += 1;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys }));
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as { port: number };
    return `http://127.0.0.1:${port}/.well-known/jwks.json`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('tokens verified against a JWKS endpoint', () => {
  const jwks = new JwksServer();
  const first = signingKey('e2e-key-1');
  const second = signingKey('e2e-key-2');
  const stranger = signingKey('e2e-key-unknown');
  let stack: Stack | undefined;
  let base: string;

  beforeAll(async () => {
    jwks.keys.push(publicJwk(first));
    const jwksUri = await jwks.listen();
    stack = await startStack({ gatewayEnv: { JWT_SECRET: undefined, JWT_JWKS_URI: jwksUri } });
    base = stack.baseUrl;
  });

  afterAll(async () => {
    await stack?.stop();
    await jwks.close();
  });

  it('an RS256 token signed with the published key is accepted', async () => {
    const result = await call<Lobby>(base, '/api/v1/lobby', { headers: bearer(rs256(first)) });

    expect(result.status, result.text).toBe(200);
    expect(result.body.tables).toHaveLength(5);
    expect(jwks.fetches).toBeGreaterThanOrEqual(1);
  });

  it('after rotation, a token with the new kid is accepted: the unknown kid makes the gateway fetch the set again', async () => {
    jwks.keys.push(publicJwk(second));
    const fetchesBefore = jwks.fetches;

    const result = await call(base, '/api/v1/me', { headers: bearer(rs256(second, 'p3')) });

    expect(result.status, result.text).toBe(200);
    expect((result.body as { player: { id: string } }).player.id).toBe('p3');
    expect(jwks.fetches).toBeGreaterThan(fetchesBefore);
    // The first key is still published and still accepted.
    expect((await call(base, '/api/v1/lobby', { headers: bearer(rs256(first)) })).status).toBe(200);
  });

  it('a token whose kid is not in the set is a 401 problem', async () => {
    const result = await call(base, '/api/v1/lobby', { headers: bearer(rs256(stranger)) });

    expectProblem(result, 401, 'unauthorized');
    expect(result.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('a token signed by an unknown key but naming a published kid is a 401 problem', async () => {
    const forged = jwt.sign({ roles: [] }, stranger.privateKey, { algorithm: 'RS256', keyid: first.kid, subject: 'p1', expiresIn: 300 });

    expectProblem(await call(base, '/api/v1/lobby', { headers: bearer(forged) }), 401, 'unauthorized');
  });

  it('algorithm confusion: an HS256 token MACed with the public key PEM is a 401 problem', async () => {
    const pem = first.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${part({ alg: 'HS256', typ: 'JWT', kid: first.kid })}.${part({ sub: 'p1', roles: [], exp: Math.floor(Date.now() / 1000) + 300 })}`;
    const forged = `${unsigned}.${createHmac('sha256', pem).update(unsigned).digest('base64url')}`;

    const result = await call(base, '/api/v1/lobby', { headers: bearer(forged) });

    expectProblem(result, 401, 'unauthorized');
  });

  it('an HS256 token with the secret other stacks use is a 401 problem here', async () => {
    expectProblem(await call(base, '/api/v1/lobby', { headers: bearer(token('p1')) }), 401, 'unauthorized');
  });
});
