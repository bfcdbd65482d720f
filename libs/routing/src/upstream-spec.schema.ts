import { z } from 'zod';
import { keyedRecord } from './keyed-record.js';

/** Same names as @portico/upstream's BalancerKind; spelled out here so the route file does not depend on the pool. */
const BALANCER_KINDS = ['round-robin', 'weighted-round-robin', 'least-connections', 'random', 'ip-hash', 'p2c'] as const;

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const upstreamName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected lowercase letters, digits, - and _, starting with a letter or digit');

const milliseconds = (fallback: number, max: number) => z.int().positive().max(max).default(fallback);
const count = (fallback: number, max: number) => z.int().min(1).max(max).default(fallback);

/**
 * Origin plus optional base path, without a trailing slash, so the upstream path appends directly.
 * Query, fragment and credentials are refused: the route owns the path, the client the query, and a
 * password in a URL ends up in logs.
 */
const targetUrl = z
  .string()
  .transform((text, context) => {
    const url = URL.parse(text);
    if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      return refuse(context, 'expected an http:// or https:// URL');
    }
    if (text.includes('?') || text.includes('#')) return refuse(context, 'a target URL has no query or fragment');
    if (url.username !== '' || url.password !== '') return refuse(context, 'a target URL has no credentials');
    return url.origin + url.pathname.replace(/\/+$/, '');
  })
  .meta({ description: 'http(s) origin with an optional base path', example: 'http://127.0.0.1:4001' });

function refuse(context: z.RefinementCtx, message: string): never {
  context.addIssue({ code: 'custom', message });
  return z.NEVER;
}

/** Metadata labels as registries write them (`zone`, `version`, `topology.kubernetes.io/zone`). */
const labels = keyedRecord(
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_./-]*$/, 'expected a label name: letters, digits, ., /, - and _'),
  z.string(),
);

const target = z.strictObject({
  url: targetUrl,
  weight: count(1, 1_000),
  // Labels a fixed target carries like a discovered instance, for `prefer`.
  metadata: labels.optional(),
});

/** No uppercase, spaces, slashes or braces: those break DNS names, etcd key paths or Redis hash tags. */
const serviceName = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/,
    'expected a service name: lowercase letters, digits, ., - and _, starting and ending with a letter or digit, at most 63 characters',
  );

export const upstreamSpecSchema = z
  .strictObject({
    targets: z.array(target).min(1, 'an upstream needs at least one target').optional(),
    // The targets are the live instances of a discovered service, as `scheme://host:port`.
    discovery: z.strictObject({ service: serviceName, scheme: z.enum(['http', 'https']).default('http') }).optional(),
    // Targets whose metadata has every one of these labels take the traffic while any of them is available.
    prefer: labels.refine((wanted) => Object.keys(wanted).length > 0, 'leave prefer out to treat every target alike').optional(),
    balancer: z.enum(BALANCER_KINDS).default('round-robin'),
    timeout: z
      .strictObject({
        connectMs: milliseconds(1_000, MINUTE),
        requestMs: milliseconds(30 * SECOND, HOUR),
      })
      .prefault({}),
    retries: z
      .strictObject({
        // Applies to idempotent methods unless a route sets retries.nonIdempotent.
        attempts: z.int().min(0).max(10).default(0),
        backoffMs: z.int().min(0).max(MINUTE).default(50),
        maxBackoffMs: z.int().min(0).max(MINUTE).default(1_000),
        // Retries allowed as a share of requests, so retrying cannot multiply the load on a failing upstream.
        budgetRatio: z.number().gt(0).max(1).default(0.2),
      })
      .prefault({}),
    circuitBreaker: z
      .strictObject({
        failureThreshold: count(5, 10_000),
        openMs: milliseconds(10 * SECOND, HOUR),
        halfOpenRequests: count(1, 1_000),
      })
      .optional(),
    healthCheck: z
      .strictObject({
        path: z.string().regex(/^\/[^\s#]*$/, 'expected a path starting with /'),
        intervalMs: milliseconds(5 * SECOND, HOUR),
        timeoutMs: milliseconds(1_000, MINUTE),
        healthyThreshold: count(1, 100),
        unhealthyThreshold: count(2, 100),
      })
      .optional(),
    maxConnectionsPerTarget: z.int().positive().max(65_536).default(128),
    // Which Host header the upstream sees: its own (from the target URL) or the client's.
    host: z.enum(['upstream', 'preserve']).default('upstream'),
  })
  .superRefine(
    (upstream, context) => {
      if (upstream.targets !== undefined && upstream.discovery !== undefined) {
        context.addIssue({ code: 'custom', path: ['discovery'], message: 'set either targets or discovery, not both' });
      }
      if (upstream.targets === undefined && upstream.discovery === undefined) {
        context.addIssue({ code: 'custom', path: [], message: 'an upstream needs targets or discovery' });
      }
    },
    // Also when other keys are bad, so one run reports every problem; only whether the two keys are present is read.
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

export type UpstreamSpec = z.output<typeof upstreamSpecSchema>;
