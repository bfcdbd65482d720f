import { ConfigError, loadConfig } from '@portico/config';
import { describe, expect, it } from 'vitest';
import { envExampleKeys } from '../../../test/support/env-example.js';
import { authOptions, cacheOptions, clientLimits, DEV_JWT_SECRET, gatewayEnvironment, hardeningOptions, rateLimitOptions } from './gateway-config.js';

const messageOf = (env: Record<string, string>) => {
  try {
    loadConfig(gatewayEnvironment, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected the configuration to be refused');
};

describe('gateway configuration', () => {
  it('documents every variable in .env.example', () => {
    const documented = envExampleKeys();
    expect(Object.keys(gatewayEnvironment.shape).filter((key) => !documented.has(key))).toEqual([]);
  });

  it('runs on embedded defaults with the development secret', () => {
    const env = loadConfig(gatewayEnvironment, {});
    expect(env).toMatchObject({ PORT: 3000, PLAYER_SERVICE_URL: ['127.0.0.1:50051'], TABLE_SERVICE_URL: ['127.0.0.1:50052'] });
    expect(authOptions(env)).toMatchObject({ keys: { kind: 'secret', secret: DEV_JWT_SECRET }, algorithms: ['HS256'], rolesClaim: 'roles' });
  });

  it('limits 100 a minute per user by default, fail-open, and turns the default off with `off`', () => {
    expect(rateLimitOptions(loadConfig(gatewayEnvironment, {}), ['/health'])).toEqual({
      failureMode: 'fail-open',
      exemptPrefixes: ['/health'],
      defaultLimit: { limit: 100, window: '1m', by: 'user', name: 'default', algorithm: 'fixed-window' },
    });
    const off = loadConfig(gatewayEnvironment, { RATE_LIMIT_DEFAULT: 'off', RATE_LIMIT_FAILURE_MODE: 'fail-closed' });
    expect(rateLimitOptions(off, [])).toEqual({ failureMode: 'fail-closed', exemptPrefixes: [] });
  });

  it('names RATE_LIMIT_DEFAULT, RATE_LIMIT_ALGORITHM and RATE_LIMIT_FAILURE_MODE when they are bad', () => {
    const message = messageOf({ RATE_LIMIT_DEFAULT: '100 per minute', RATE_LIMIT_ALGORITHM: 'leaky', RATE_LIMIT_FAILURE_MODE: 'maybe' });
    expect(message).toMatch(/RATE_LIMIT_DEFAULT/);
    expect(message).toMatch(/RATE_LIMIT_ALGORITHM/);
    expect(message).toMatch(/RATE_LIMIT_FAILURE_MODE/);
  });

  it('starts with CORS off, HSTS on https only, compression on and bounded slow clients', () => {
    const env = loadConfig(gatewayEnvironment, {});
    const options = hardeningOptions(env, '/api/docs');
    expect(options.cors.origins).toEqual([]);
    expect(options.cors.exposedHeaders).toEqual(expect.arrayContaining(['RateLimit-Remaining', 'Retry-After', 'x-request-id', 'x-cache', 'ETag']));
    expect(options.securityHeaders).toEqual({ hsts: 'auto', hstsMaxAgeSeconds: 31_536_000, docsPath: '/api/docs' });
    expect(options.compression).toEqual({ enabled: true, thresholdBytes: 1_024 });
    expect(clientLimits(env)).toEqual({
      maxHeaderBytes: 16_384,
      requestTimeoutMs: 120_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 72_000,
      connectionTimeoutMs: 0,
    });
  });

  it('reads CORS origins, patterns and header lists', () => {
    const env = loadConfig(gatewayEnvironment, {
      CORS_ORIGINS: 'https://app.example.com, https://*.example.org',
      CORS_CREDENTIALS: 'true',
      CORS_ALLOWED_HEADERS: 'authorization, x-custom',
    });
    expect(hardeningOptions(env, '/api/docs').cors).toMatchObject({
      origins: ['https://app.example.com', 'https://*.example.org'],
      credentials: true,
      allowedHeaders: ['authorization', 'x-custom'],
    });
  });

  it.each([
    [{ CORS_ORIGINS: '*', CORS_CREDENTIALS: 'true' }, 'CORS_ORIGINS:'],
    [{ CORS_ORIGINS: 'https://app.example.com/' }, 'CORS_ORIGINS:'],
    [{ CORS_METHODS: 'GET,PO ST' }, 'CORS_METHODS:'],
    [{ HSTS: 'sometimes' }, 'HSTS:'],
    [{ HEADERS_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '10000' }, 'HEADERS_TIMEOUT_MS:'],
    [{ MAX_HEADER_BYTES: '10' }, 'MAX_HEADER_BYTES:'],
  ])('refuses hardening settings %o naming the variable', (env, expected) => {
    expect(messageOf(env)).toContain(expected);
  });

  it('reads a comma-separated PLAYER_SERVICE_URL as several static instances', () => {
    const env = loadConfig(gatewayEnvironment, { PLAYER_SERVICE_URL: '10.0.0.1:50051, 10.0.0.2:50051' });
    expect(env.PLAYER_SERVICE_URL).toEqual(['10.0.0.1:50051', '10.0.0.2:50051']);
  });

  it('pins RS256 for a public key unless told otherwise, and unescapes \\n in the PEM', () => {
    const env = loadConfig(gatewayEnvironment, { JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\\nabc\\n-----END PUBLIC KEY-----' });
    expect(authOptions(env)).toMatchObject({
      keys: { kind: 'public-key', publicKey: '-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----' },
      algorithms: ['RS256'],
    });
    expect(authOptions({ ...env, JWT_ALGORITHM: 'ES256' }).algorithms).toEqual(['ES256']);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT:'],
    [{ PLAYER_SERVICE_URL: 'http://players' }, 'PLAYER_SERVICE_URL: expected host:port'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET: must be at least 16 characters'],
    [{ JWT_SECRET: 'a-secret-long-enough', JWT_JWKS_URI: 'https://idp.example/jwks' }, 'JWT_SECRET: set only one of'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET: production needs'],
    [{ JWT_SECRET: 'a-secret-long-enough', JWT_ALGORITHM: 'RS256' }, 'JWT_ALGORITHM: RS256 needs JWT_PUBLIC_KEY'],
    [{ JWT_JWKS_URI: 'https://idp.example/jwks', JWT_ALGORITHM: 'HS256' }, 'JWT_ALGORITHM: HS256 needs JWT_SECRET'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL:'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL:'],
    [{ DISCOVERY: 'zookeeper' }, 'DISCOVERY:'],
    [{ DISCOVERY: 'redis' }, 'REDIS_URL: DISCOVERY=redis needs REDIS_URL'],
    [{ DISCOVERY: 'etcd' }, 'ETCD_URL: DISCOVERY=etcd needs ETCD_URL'],
    [{ ETCD_URL: 'etcd:2379' }, 'ETCD_URL:'],
    [{ DNS_SRV_NAME: '_grpc._tcp.players' }, 'DNS_SRV_NAME: must contain {service}'],
    [{ GRPC_BALANCER: 'ip-hash' }, 'GRPC_BALANCER:'],
    [{ DISCOVERY_TTL_MS: '10' }, 'DISCOVERY_TTL_MS:'],
  ])('refuses %o naming the variable', (env, expected) => {
    expect(messageOf(env)).toContain(expected);
  });

  it('caches by default, storing the RFC statuses, and names the CACHE_* variables when they are bad', () => {
    const options = cacheOptions(loadConfig(gatewayEnvironment, {}));
    expect(options).toMatchObject({ enabled: true, maxEntryBytes: 1_048_576, memoryMaxBytes: 67_108_864, statuses: [200, 203, 204, 301, 404] });
    expect(options.storable?.({ tables: [], partial: false })).toBe(true);
    expect(options.storable?.({ tables: [], partial: true })).toBe(false);
    expect(cacheOptions(loadConfig(gatewayEnvironment, { CACHE_ENABLED: 'false', CACHE_STATUSES: '200, 410' }))).toMatchObject({ enabled: false, statuses: [200, 410] });
    const message = messageOf({ CACHE_ENABLED: 'sometimes', CACHE_STATUSES: '200,ok', CACHE_MEMORY_MAX_BYTES: '-1' });
    expect(message).toMatch(/CACHE_ENABLED: expected true or false/);
    expect(message).toMatch(/CACHE_STATUSES: expected comma-separated HTTP statuses such as 200,404, got "ok"/);
    expect(message).toMatch(/CACHE_MEMORY_MAX_BYTES/);
    expect(messageOf({ CACHE_MAX_ENTRY_BYTES: '2000', CACHE_MEMORY_MAX_BYTES: '1000' })).toMatch(/CACHE_MAX_ENTRY_BYTES: must not exceed CACHE_MEMORY_MAX_BYTES/);
  });
});
