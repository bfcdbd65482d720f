/**
 * Which browser origins may call the gateway, and with what. One policy serves REST (through
 * @fastify/cors) and the socket.io namespace (through its `cors` server option).
 */
export interface CorsPolicy {
  /** Exact origins and `scheme://*.domain[:port]` patterns; `*` alone allows any origin. Empty: CORS off. */
  origins: readonly string[];
  credentials: boolean;
  methods: readonly string[];
  allowedHeaders: readonly string[];
  exposedHeaders: readonly string[];
  maxAgeSeconds: number;
}

/** Response headers a browser script needs to read: rate limits, retry hints, tracing and caching. */
export const DEFAULT_EXPOSED_HEADERS = [
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'RateLimit-Policy',
  'Retry-After',
  'x-request-id',
  'x-cache',
  'ETag',
] as const;

export const ANY_ORIGIN = '*';

const ORIGIN = /^(https?):\/\/(\*\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*)(:\d{1,5})?$/;

/**
 * Parses a comma-separated origin list. Each entry is `scheme://host[:port]` as browsers send it in
 * `Origin` (no path, no trailing slash), or `scheme://*.domain[:port]` where `*` stands for one or
 * more whole labels: `https://*.example.com` allows `https://a.example.com` and `https://a.b.example.com`,
 * never `https://example.com` nor `https://evil-example.com`. Throws naming the first bad entry.
 */
export function parseOriginList(text: string): string[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    if (entry === ANY_ORIGIN) continue;
    if (!ORIGIN.test(entry.toLowerCase())) {
      throw new Error(`"${entry}" is not an origin: expected scheme://host[:port] or scheme://*.domain[:port], without a path`);
    }
  }
  if (entries.includes(ANY_ORIGIN) && entries.length > 1) {
    throw new Error('"*" allows every origin; list it alone');
  }
  return entries.map((entry) => entry.toLowerCase());
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function patternOf(entry: string): RegExp {
  const [scheme, rest] = entry.split('://*.', 2) as [string, string];
  return new RegExp(`^${escapeRegExp(scheme)}://[a-z0-9-]+(?:\\.[a-z0-9-]+)*\\.${escapeRegExp(rest)}$`);
}

/** A predicate telling whether a request's `Origin` is allowed; exact entries are a set lookup. */
export function originMatcher(origins: readonly string[]): (origin: string | undefined) => boolean {
  if (origins.includes(ANY_ORIGIN)) return (origin) => origin !== undefined;
  const exact = new Set(origins.filter((entry) => !entry.includes('*')));
  const patterns = origins.filter((entry) => entry.includes('*')).map(patternOf);
  return (origin) => {
    if (origin === undefined) return false;
    // Origin is ASCII-serialised by browsers, but host names compare case-insensitively.
    const candidate = origin.toLowerCase();
    return exact.has(candidate) || patterns.some((pattern) => pattern.test(candidate));
  };
}

/** Why a policy cannot work, or undefined. Browsers refuse credentials with `Access-Control-Allow-Origin: *`. */
export function corsPolicyProblem(policy: Pick<CorsPolicy, 'origins' | 'credentials'>): string | undefined {
  return policy.credentials && policy.origins.includes(ANY_ORIGIN)
    ? '"*" cannot be combined with CORS_CREDENTIALS=true: browsers refuse credentials for any-origin; list the origins'
    : undefined;
}

export function corsEnabled(policy: CorsPolicy): boolean {
  return policy.origins.length > 0;
}

/** The shape socket.io's `new Server(http, { cors })` takes (it uses the `cors` package's options). */
export interface SocketIoCors {
  origin: false | ((origin: string | undefined, callback: (error: Error | null, allow?: boolean) => void) => void);
  credentials: boolean;
  methods: string[];
  allowedHeaders: string[];
  exposedHeaders: string[];
  maxAge: number;
}

/**
 * socket.io's `cors` option for the same policy as REST. A request without an Origin (a non-browser
 * client) gets no CORS headers, which only browsers read anyway.
 */
export function socketIoCors(policy: CorsPolicy): SocketIoCors {
  const allowed = originMatcher(policy.origins);
  return {
    origin: corsEnabled(policy) ? (origin, callback) => callback(null, allowed(origin)) : false,
    credentials: policy.credentials,
    methods: [...policy.methods],
    allowedHeaders: [...policy.allowedHeaders],
    exposedHeaders: [...policy.exposedHeaders],
    maxAge: policy.maxAgeSeconds,
  };
}

/**
 * socket.io's `allowRequest`: browsers do not apply CORS to WebSocket handshakes, so without this any
 * site could open a socket with the user's cookies. Allows requests without an Origin (non-browser
 * clients), same-origin ones (Origin's host is the Host header) and origins the policy allows.
 */
export function socketIoAllowRequest(
  policy: CorsPolicy,
): (request: { headers: { origin?: string | undefined; host?: string | undefined } }, callback: (error: string | null, allow: boolean) => void) => void {
  const allowed = originMatcher(policy.origins);
  return (request, callback) => {
    const { origin, host } = request.headers;
    if (origin === undefined || allowed(origin) || sameHost(origin, host)) callback(null, true);
    else callback('origin not allowed', false);
  };
}

function sameHost(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
