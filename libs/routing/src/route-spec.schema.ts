import { cacheOptionsSchema } from '@portico/cache';
import { HOP_BY_HOP_HEADERS } from '@portico/proxy';
import { z } from 'zod';
import { keyedRecord } from './keyed-record.js';
import { rateLimitSpec } from './rate-limit-spec.schema.js';
import { parseRoutePath } from './route-path.js';
import { compileUpstreamPath } from './upstream-path.js';
import { upstreamName } from './upstream-spec.schema.js';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Headers the proxy itself manages per connection or per message; a route setting them would break framing. */
const MANAGED_HEADERS = new Set([...HOP_BY_HOP_HEADERS, 'host', 'content-length']);

const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected a header name (letters, digits and -)')
  .transform((name) => name.toLowerCase());

// Node refuses CR, LF and other controls in header values at send time; refusing them here fails at load instead.
const headerValue = z.string().regex(/^[\t\x20-\x7e\x80-\xff]*$/, 'a header value has no line breaks or control characters');

const settableHeaderName = headerName.refine((name) => !MANAGED_HEADERS.has(name), {
  error: (issue) => `${String(issue.input)} is managed by the proxy and cannot be set`,
});

const headerRules = z
  .strictObject({
    set: keyedRecord(settableHeaderName, headerValue).default({}),
    remove: z.array(headerName).default([]),
  })
  .prefault({});

const routePath = z
  .string()
  .superRefine((path, context) => {
    const parsed = parseRoutePath(path);
    if (!parsed.ok) context.addIssue({ code: 'custom', message: parsed.message });
  })
  .meta({ description: 'static segments, :name parameters and an optional final *', example: '/api/users/:id/*' });

const hostMatch = z
  .string()
  .toLowerCase()
  .regex(
    /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
    'expected a host name without port, optionally starting with *.',
  );

const method = z
  .string()
  .toUpperCase()
  .pipe(z.enum(HTTP_METHODS))
  .meta({ description: `one of ${HTTP_METHODS.join(', ')}, in any case` });

/** A route's id, in the route file and in the admin API's paths. */
export const routeIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'expected lowercase letters, digits, ., - and _, starting with a letter or digit');

export const routeSpecSchema = z
  .strictObject({
    id: routeIdSchema,
    path: routePath,
    methods: z
      .array(method)
      .min(1, 'leave methods out to accept every method')
      .transform((methods) => [...new Set(methods)])
      .optional(),
    match: z
      .strictObject({
        headers: keyedRecord(headerName, headerValue).optional(),
        query: keyedRecord(z.string().min(1), z.string()).optional(),
        host: hostMatch.optional(),
      })
      .optional(),
    // Higher wins among routes that match; equal priorities fall back to the most specific path.
    priority: z.int().default(0),
    upstream: upstreamName.optional(),
    split: z
      .array(z.strictObject({ upstream: upstreamName, weight: z.int().min(1).max(1_000).default(1) }))
      .min(1)
      .optional(),
    stripPrefix: z.string().optional(),
    rewrite: z.string().optional(),
    auth: z
      .strictObject({
        public: z.boolean().default(false),
        roles: z.array(z.string().min(1)).default([]),
      })
      .refine((auth) => !auth.public || auth.roles.length === 0, {
        path: ['roles'],
        message: 'a public route has no roles: drop one of them',
      })
      .prefault({}),
    headers: z.strictObject({ request: headerRules, response: headerRules }).prefault({}),
    mirror: z.strictObject({ upstream: upstreamName, percent: z.number().gt(0).max(100) }).optional(),
    timeoutMs: z.int().positive().max(3_600_000).optional(),
    retries: z
      .strictObject({
        attempts: z.int().min(0).max(10).optional(),
        // Retrying a POST or PATCH can apply it twice; only the route's owner can say that is safe.
        nonIdempotent: z.boolean().default(false),
      })
      .optional(),
    websocket: z.boolean().default(false),
    rateLimit: rateLimitSpec.optional(),
    bodyLimitBytes: z.int().positive().optional(),
    cache: cacheOptionsSchema.optional(),
  })
  .superRefine((route, context) => {
    if (route.upstream !== undefined && route.split !== undefined) {
      context.addIssue({ code: 'custom', path: ['split'], message: 'set either upstream or split, not both' });
    }
    if (route.upstream === undefined && route.split === undefined) {
      context.addIssue({ code: 'custom', path: [], message: 'a route needs an upstream or a split' });
    }
    if (route.cache && route.methods && !route.methods.includes('GET') && !route.methods.includes('HEAD')) {
      context.addIssue({ code: 'custom', path: ['cache'], message: 'only GET and HEAD answers are cached, and this route accepts neither' });
    }
    const path = parseRoutePath(route.path);
    if (!path.ok) return;
    const upstreamPath = compileUpstreamPath(route, path.path);
    if (!upstreamPath.ok) context.addIssue({ code: 'custom', path: [upstreamPath.field], message: upstreamPath.message });
  });

export type RouteSpec = z.output<typeof routeSpecSchema>;
