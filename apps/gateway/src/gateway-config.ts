import { analyticsStreamFields, type AnalyticsModuleOptions } from '@portico/analytics';
import { booleanFlag, grpcAddressList, logLevel, milliseconds, port, redisUrl } from '@portico/config';
import { checkDiscovery, discoveryFields, discoverySettings, type DiscoverySettings } from '@portico/discovery';
import { BALANCER_KINDS } from '@portico/upstream';
import { compileTrustProxy } from '@portico/proxy';
import type { AuthOptions, KeySource } from '@portico/auth';
import { ALGORITHMS as RATE_LIMIT_ALGORITHMS, parseDefaultPolicy, type RateLimitModuleOptions, type RateLimitOptions } from '@portico/rate-limit';
import { defaultInstanceId, type RealtimeOptions } from '@portico/realtime';
import {
  corsPolicyProblem,
  DEFAULT_EXPOSED_HEADERS,
  HSTS_MODES,
  parseOriginList,
  socketIoAllowRequest,
  socketIoCors,
  type ClientLimits,
  type CorsPolicy,
  type EdgeHardeningOptions,
} from '@portico/hardening';
import type { CacheModuleOptions } from '@portico/cache';
import type { BackendPoolOptions } from './backends/backends.module.js';
import { z } from 'zod';

/** Signs and verifies dev tokens when no key is configured; refused when NODE_ENV=production. */
export const DEV_JWT_SECRET = 'portico-dev-secret-do-not-use-in-production';

const ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256'] as const;

const optionalText = z.string().min(1).optional();

/** A text variable turned into a value by `parse`; what `parse` throws becomes the variable's error message. */
const parsedText = <T>(fallback: string, parse: (value: string) => T) =>
  z
    .string()
    .default(fallback)
    .transform((value, context) => {
      try {
        return parse(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    });

const trustProxy = parsedText('false', compileTrustProxy);

const rateLimitDefault = parsedText('100/1m', parseDefaultPolicy);

/** A socket message budget, `<limit>/<window>` like RATE_LIMIT_DEFAULT but never `off`. */
const messageLimit = (fallback: string) =>
  parsedText(fallback, (value): RateLimitOptions => {
    const options = parseDefaultPolicy(value);
    if (options === undefined) throw new Error('expected <limit>/<window> such as 20/1s; socket messages are always limited');
    return options;
  });

/** A comma-separated list of HTTP tokens (methods, header names). */
const tokenList = (fallback: string) =>
  parsedText(fallback, (value) => {
    const tokens = value
      .split(',')
      .map((token) => token.trim())
      .filter((token) => token !== '');
    const bad = tokens.find((token) => !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(token));
    if (bad !== undefined) throw new Error(`"${bad}" is not a valid HTTP token`);
    return tokens;
  });

/** `CACHE_STATUSES`: a comma-separated list of HTTP statuses. */
function parseStatuses(value: string): number[] {
  const statuses = value.split(',').map((part) => part.trim());
  for (const status of statuses) {
    if (!/^[1-5]\d\d$/.test(status)) throw new Error(`expected comma-separated HTTP statuses such as 200,404, got "${status}"`);
  }
  return [...new Set(statuses.map(Number))];
}

const cacheStatuses = parsedText('200,203,204,301,404', parseStatuses);

const fields = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: port(3000),
  LOG_LEVEL: logLevel,
  PLAYER_SERVICE_URL: grpcAddressList('127.0.0.1:50051'),
  TABLE_SERVICE_URL: grpcAddressList('127.0.0.1:50052'),
  ...discoveryFields,
  // ip-hash needs a client key, which a gRPC call to a backend does not have.
  GRPC_BALANCER: z.enum(BALANCER_KINDS.filter((kind) => kind !== 'ip-hash')).default('p2c'),
  GRPC_HEALTH_INTERVAL_MS: milliseconds(1_000).pipe(z.number().min(100)),
  GRPC_CIRCUIT_FAILURES: z.coerce.number().int().min(1).default(3),
  GRPC_CIRCUIT_OPEN_MS: milliseconds(5_000).pipe(z.number().min(100)),
  REDIS_URL: redisUrl,
  JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  JWT_PUBLIC_KEY: z.string().includes('BEGIN', { message: 'expected a PEM public key' }).optional(),
  JWT_JWKS_URI: z.url({ protocol: /^https?$/ }).optional(),
  JWT_ALGORITHM: z.enum(ALGORITHMS).optional(),
  JWT_ISSUER: optionalText,
  JWT_AUDIENCE: optionalText,
  JWT_ROLES_CLAIM: z.string().min(1).default('roles'),
  JWT_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(300).default(5),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1).default(1_048_576),
  TRUST_PROXY: trustProxy,
  ROUTES_FILE: optionalText,
  ROUTES_WATCH: booleanFlag(true),
  PROXY_BODY_LIMIT_BYTES: z.coerce.number().int().min(1).default(104_857_600),
  REQUIRED_SOURCE_TIMEOUT_MS: milliseconds(2_000),
  OPTIONAL_SOURCE_TIMEOUT_MS: milliseconds(800),
  RATE_LIMIT_DEFAULT: rateLimitDefault,
  RATE_LIMIT_ALGORITHM: z.enum(RATE_LIMIT_ALGORITHMS).default('fixed-window'),
  RATE_LIMIT_FAILURE_MODE: z.enum(['fail-open', 'fail-closed']).default('fail-open'),
  CORS_ORIGINS: parsedText('', parseOriginList),
  CORS_CREDENTIALS: booleanFlag(false),
  CORS_METHODS: tokenList('GET,HEAD,POST,PUT,PATCH,DELETE'),
  CORS_ALLOWED_HEADERS: tokenList('authorization,content-type,accept,accept-language,if-none-match,x-request-id'),
  CORS_EXPOSED_HEADERS: tokenList(DEFAULT_EXPOSED_HEADERS.join(',')),
  CORS_MAX_AGE_S: z.coerce.number().int().min(0).max(86_400).default(600),
  HSTS: z.enum(HSTS_MODES).default('auto'),
  HSTS_MAX_AGE_S: z.coerce.number().int().min(0).default(31_536_000),
  COMPRESSION: booleanFlag(true),
  COMPRESSION_THRESHOLD_BYTES: z.coerce.number().int().min(0).default(1_024),
  MAX_HEADER_BYTES: z.coerce.number().int().min(1_024).max(1_048_576).default(16_384),
  REQUEST_TIMEOUT_MS: milliseconds(120_000),
  HEADERS_TIMEOUT_MS: milliseconds(10_000).pipe(z.number().min(1)),
  KEEP_ALIVE_TIMEOUT_MS: milliseconds(72_000).pipe(z.number().min(1)),
  CONNECTION_TIMEOUT_MS: milliseconds(0),
  CACHE_ENABLED: booleanFlag(true),
  CACHE_MAX_ENTRY_BYTES: z.coerce.number().int().min(1).max(536_870_912).default(1_048_576),
  CACHE_MEMORY_MAX_BYTES: z.coerce.number().int().min(1).default(67_108_864),
  CACHE_STATUSES: cacheStatuses,
  SHUTDOWN_DRAIN_DELAY_MS: milliseconds(0),
  SHUTDOWN_TIMEOUT_MS: milliseconds(10_000),
  INSTANCE_ID: optionalText,
  REALTIME_PING_INTERVAL_MS: milliseconds(25_000).pipe(z.number().min(100)),
  REALTIME_PING_TIMEOUT_MS: milliseconds(20_000).pipe(z.number().min(100)),
  REALTIME_ALLOW_POLLING: booleanFlag(false),
  REALTIME_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(128).default(16_384),
  REALTIME_MAX_CONNECTIONS_PER_USER: z.coerce.number().int().min(1).default(5),
  REALTIME_MESSAGE_LIMIT_CONNECTION: messageLimit('20/1s'),
  REALTIME_MESSAGE_LIMIT_USER: messageLimit('60/1s'),
  REALTIME_PRESENCE_TTL_MS: milliseconds(15_000).pipe(z.number().min(300)),
  ...analyticsStreamFields,
  ANALYTICS_BUFFER_SIZE: z.coerce.number().int().min(1).default(10_000),
});

/** Rules across variables: exactly one key source, and an algorithm that fits it. */
function checkKeySource(env: z.output<typeof fields>, context: z.RefinementCtx): void {
  const sources = [env.JWT_SECRET, env.JWT_PUBLIC_KEY, env.JWT_JWKS_URI].filter((value) => value !== undefined);
  if (sources.length > 1) {
    context.addIssue({
      code: 'custom',
      path: ['JWT_SECRET'],
      message: 'set only one of JWT_SECRET, JWT_PUBLIC_KEY and JWT_JWKS_URI',
    });
  }
  if (sources.length === 0 && env.NODE_ENV === 'production') {
    context.addIssue({
      code: 'custom',
      path: ['JWT_SECRET'],
      message: 'production needs JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URI; the development secret is refused',
    });
  }
  const algorithm = env.JWT_ALGORITHM;
  const symmetric = algorithm?.startsWith('HS');
  if (algorithm && (env.JWT_PUBLIC_KEY || env.JWT_JWKS_URI) && symmetric) {
    context.addIssue({ code: 'custom', path: ['JWT_ALGORITHM'], message: `${algorithm} needs JWT_SECRET, not a public key` });
  }
  if (algorithm && !env.JWT_PUBLIC_KEY && !env.JWT_JWKS_URI && !symmetric) {
    context.addIssue({ code: 'custom', path: ['JWT_ALGORITHM'], message: `${algorithm} needs JWT_PUBLIC_KEY or JWT_JWKS_URI` });
  }
}

/** Rules of edge hardening across variables, each naming the variable to change. */
function checkHardening(env: z.output<typeof fields>, context: z.RefinementCtx): void {
  const cors = corsPolicyProblem({ origins: env.CORS_ORIGINS, credentials: env.CORS_CREDENTIALS });
  if (cors !== undefined) context.addIssue({ code: 'custom', path: ['CORS_ORIGINS'], message: cors });
  if (env.REQUEST_TIMEOUT_MS > 0 && env.HEADERS_TIMEOUT_MS > env.REQUEST_TIMEOUT_MS) {
    context.addIssue({ code: 'custom', path: ['HEADERS_TIMEOUT_MS'], message: 'must not exceed REQUEST_TIMEOUT_MS: the headers are part of the request' });
  }
}

/** One entry must fit the memory store, or nothing would ever be cached without Redis. */
function checkCacheSizes(env: z.output<typeof fields>, context: z.RefinementCtx): void {
  if (env.CACHE_MAX_ENTRY_BYTES > env.CACHE_MEMORY_MAX_BYTES) {
    context.addIssue({ code: 'custom', path: ['CACHE_MAX_ENTRY_BYTES'], message: 'must not exceed CACHE_MEMORY_MAX_BYTES' });
  }
}

export const gatewayEnvironment = fields.superRefine(
  (env, context) => {
    checkKeySource(env, context);
    checkDiscovery(env, context);
    checkHardening(env, context);
    checkCacheSizes(env, context);
  },
  {
    // Run even when single variables are bad, so one start-up error lists every problem.
    when: () => true,
  },
);

export type GatewayEnvironment = z.output<typeof gatewayEnvironment>;

function keySource(env: GatewayEnvironment): KeySource {
  // PEM keys in .env files usually arrive with literal \n sequences.
  if (env.JWT_PUBLIC_KEY) return { kind: 'public-key', publicKey: env.JWT_PUBLIC_KEY.replaceAll('\\n', '\n') };
  if (env.JWT_JWKS_URI) return { kind: 'jwks', jwksUri: env.JWT_JWKS_URI };
  return { kind: 'secret', secret: env.JWT_SECRET ?? DEV_JWT_SECRET };
}

export function authOptions(env: GatewayEnvironment): AuthOptions {
  const keys = keySource(env);
  const algorithm = env.JWT_ALGORITHM ?? (keys.kind === 'secret' ? 'HS256' : 'RS256');
  return {
    keys,
    algorithms: [algorithm],
    rolesClaim: env.JWT_ROLES_CLAIM,
    clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE_S,
    ...(env.JWT_ISSUER !== undefined && { issuer: env.JWT_ISSUER }),
    ...(env.JWT_AUDIENCE !== undefined && { audience: env.JWT_AUDIENCE }),
  };
}

/** With DISCOVERY=static, the configured addresses are the instances. */
export function gatewayDiscovery(env: GatewayEnvironment): DiscoverySettings {
  return discoverySettings(env, { 'player-service': env.PLAYER_SERVICE_URL, 'table-service': env.TABLE_SERVICE_URL });
}

export function backendPools(env: GatewayEnvironment): BackendPoolOptions {
  return {
    balancer: env.GRPC_BALANCER,
    // One failed probe takes an instance out and one good one brings it back: grpc.health.v1 answers
    // are deliberate (NOT_SERVING while draining), and the breaker catches flapping.
    healthCheck: { intervalMs: env.GRPC_HEALTH_INTERVAL_MS, timeoutMs: 1_000, healthyThreshold: 1, unhealthyThreshold: 1 },
    circuitBreaker: { failureThreshold: env.GRPC_CIRCUIT_FAILURES, openMs: env.GRPC_CIRCUIT_OPEN_MS, halfOpenRequests: 1 },
    ...(env.ZONE !== undefined && { prefer: { zone: env.ZONE } }),
  };
}

/** The default limit counts per user (per IP when anonymous) across every route without its own policy. */
export function rateLimitOptions(env: GatewayEnvironment, exemptPrefixes: readonly string[]): RateLimitModuleOptions {
  return {
    failureMode: env.RATE_LIMIT_FAILURE_MODE,
    exemptPrefixes,
    ...(env.RATE_LIMIT_DEFAULT !== undefined && { defaultLimit: { ...env.RATE_LIMIT_DEFAULT, algorithm: env.RATE_LIMIT_ALGORITHM } }),
  };
}

/** The same CORS_* policy for REST and the socket namespace. */
function corsPolicy(env: GatewayEnvironment): CorsPolicy {
  return {
    origins: env.CORS_ORIGINS,
    credentials: env.CORS_CREDENTIALS,
    methods: env.CORS_METHODS,
    allowedHeaders: env.CORS_ALLOWED_HEADERS,
    exposedHeaders: env.CORS_EXPOSED_HEADERS,
    maxAgeSeconds: env.CORS_MAX_AGE_S,
  };
}

export function realtimeOptions(env: GatewayEnvironment): RealtimeOptions {
  const cors = corsPolicy(env);
  return {
    cors: socketIoCors(cors),
    allowRequest: socketIoAllowRequest(cors),
    instanceId: env.INSTANCE_ID ?? defaultInstanceId(),
    pingIntervalMs: env.REALTIME_PING_INTERVAL_MS,
    pingTimeoutMs: env.REALTIME_PING_TIMEOUT_MS,
    allowPolling: env.REALTIME_ALLOW_POLLING,
    maxPayloadBytes: env.REALTIME_MAX_PAYLOAD_BYTES,
    maxConnectionsPerUser: env.REALTIME_MAX_CONNECTIONS_PER_USER,
    messageLimits: {
      perConnection: { ...env.REALTIME_MESSAGE_LIMIT_CONNECTION, name: 'realtime-connection' },
      perUser: { ...env.REALTIME_MESSAGE_LIMIT_USER, name: 'realtime-user' },
    },
    presenceTtlMs: env.REALTIME_PRESENCE_TTL_MS,
  };
}

/** Session events go to ANALYTICS_STREAM; what Redis cannot take at once waits in a bounded buffer. */
export function analyticsOptions(env: GatewayEnvironment): AnalyticsModuleOptions {
  return {
    stream: env.ANALYTICS_STREAM,
    maxLength: env.ANALYTICS_STREAM_MAXLEN,
    instanceTtlMs: env.ANALYTICS_INSTANCE_TTL_MS,
    bufferSize: env.ANALYTICS_BUFFER_SIZE,
  };
}

/** CORS, security headers and compression; the Swagger UI path must match serveOpenApi's. */
export function hardeningOptions(env: GatewayEnvironment, docsPath: string): EdgeHardeningOptions {
  return {
    cors: corsPolicy(env),
    securityHeaders: { hsts: env.HSTS, hstsMaxAgeSeconds: env.HSTS_MAX_AGE_S, docsPath },
    compression: { enabled: env.COMPRESSION, thresholdBytes: env.COMPRESSION_THRESHOLD_BYTES },
  };
}

export function clientLimits(env: GatewayEnvironment): ClientLimits {
  return {
    maxHeaderBytes: env.MAX_HEADER_BYTES,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    headersTimeoutMs: env.HEADERS_TIMEOUT_MS,
    keepAliveTimeoutMs: env.KEEP_ALIVE_TIMEOUT_MS,
    connectionTimeoutMs: env.CONNECTION_TIMEOUT_MS,
  };
}

/** A partial aggregate would keep showing a backend's outage after it is over: it is answered, never stored. */
const complete = (result: unknown) => !(typeof result === 'object' && result !== null && (result as { partial?: unknown }).partial === true);

export function cacheOptions(env: GatewayEnvironment): CacheModuleOptions {
  return {
    enabled: env.CACHE_ENABLED,
    storable: complete,
    maxEntryBytes: env.CACHE_MAX_ENTRY_BYTES,
    memoryMaxBytes: env.CACHE_MEMORY_MAX_BYTES,
    statuses: env.CACHE_STATUSES,
  };
}
