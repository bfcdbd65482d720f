/** What a limit counts by; several parts make one combined key (e.g. per user per route). */
export type KeyPart = 'ip' | 'user' | 'apiKey' | 'route';

export const ALGORITHMS = ['fixed-window', 'sliding-window', 'token-bucket'] as const;
export type RateLimitAlgorithm = (typeof ALGORITHMS)[number];

/** A limit as a decorator declares it. */
export interface RateLimitOptions {
  limit: number;
  /** `500ms`, `10s`, `1m`, `1h`, `1d`, or milliseconds. */
  window: string | number;
  by?: KeyPart | readonly KeyPart[];
  algorithm?: RateLimitAlgorithm;
  /** Token bucket only: how many requests may arrive at once; defaults to `limit`. */
  burst?: number;
  /**
   * Names the budget in keys and metrics. Handlers sharing a name share one budget; without a name
   * each handler has its own.
   */
  name?: string;
}

/** A limit ready to enforce: the window in milliseconds and every default filled in. */
export interface RateLimitPolicy {
  name: string;
  limit: number;
  windowMs: number;
  by: readonly KeyPart[];
  algorithm: RateLimitAlgorithm;
  /** Token bucket capacity; equals `limit` for the window algorithms. */
  burst: number;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseWindow(window: string | number): number {
  if (typeof window === 'number') {
    if (!Number.isInteger(window) || window <= 0) throw new Error(`rate limit window must be a positive integer of ms, got ${window}`);
    return window;
  }
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(window.trim());
  if (!match) throw new Error(`rate limit window "${window}" is not like 500ms, 10s, 1m, 1h or 1d`);
  const ms = Number(match[1]) * (UNITS[match[2] as string] as number);
  if (ms <= 0) throw new Error(`rate limit window "${window}" must be longer than zero`);
  return ms;
}

export function compilePolicy(options: RateLimitOptions, fallbackName: string): RateLimitPolicy {
  if (!Number.isInteger(options.limit) || options.limit < 1) throw new Error(`rate limit must be a positive integer, got ${options.limit}`);
  const burst = options.burst ?? options.limit;
  if (!Number.isInteger(burst) || burst < 1) throw new Error(`rate limit burst must be a positive integer, got ${burst}`);
  const by = options.by === undefined ? ['user' as const] : typeof options.by === 'string' ? [options.by] : [...options.by];
  return {
    name: options.name ?? fallbackName,
    limit: options.limit,
    windowMs: parseWindow(options.window),
    by,
    algorithm: options.algorithm ?? 'fixed-window',
    burst: options.algorithm === 'token-bucket' ? burst : options.limit,
  };
}

/** `RATE_LIMIT_DEFAULT`: `<limit>/<window>` such as `100/1m`, or `off`. */
export function parseDefaultPolicy(value: string): RateLimitOptions | undefined {
  if (value.trim() === 'off') return undefined;
  const match = /^(\d+)\/(\w+)$/.exec(value.trim());
  if (!match) throw new Error(`expected <limit>/<window> such as 100/1m, or off`);
  const options: RateLimitOptions = { limit: Number(match[1]), window: match[2] as string, by: 'user', name: 'default' };
  compilePolicy(options, 'default');
  return options;
}

/** The structured `RateLimit-Policy` item (draft-ietf-httpapi-ratelimit-headers): `100;w=60`. */
export function policyHeaderItem(policy: RateLimitPolicy): string {
  const seconds = Math.max(1, Math.ceil(policy.windowMs / 1_000));
  return policy.algorithm === 'token-bucket' ? `${policy.limit};w=${seconds};burst=${policy.burst}` : `${policy.limit};w=${seconds}`;
}
