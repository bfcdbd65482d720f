import { Pool } from 'undici';

/**
 * The four Consul HTTP endpoints Portico uses, over undici. No Consul client library: HashiCorp
 * ships none for Node, and the community `consul` package is a thin wrapper over these same
 * requests that would add a dependency while leaving the blocking-query rules, the token header
 * and the timeouts for us to get right anyway.
 */

/** A non-2xx answer; `body` is Consul's plain-text reason. */
export class ConsulHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`Consul answered ${what} with ${status}: ${body.trim().slice(0, 200) || '(no reason given)'}`);
    this.name = 'ConsulHttpError';
  }
}

export interface HealthAnswer {
  /** `X-Consul-Index`, NaN when absent or not a number. */
  index: number;
  entries: readonly unknown[];
}

export interface ConsulApiOptions {
  url: string;
  /** Sent as `X-Consul-Token`; never logged. */
  token?: string | undefined;
}

/** Longest a non-blocking request may take. */
const REQUEST_TIMEOUT_MS = 10_000;

export class ConsulApi {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly headers: Record<string, string>;

  constructor({ url, token }: ConsulApiOptions) {
    const parsed = new URL(url);
    this.pool = new Pool(parsed.origin, { connectTimeout: REQUEST_TIMEOUT_MS });
    this.basePath = parsed.pathname.replace(/\/+$/, '');
    this.headers = token === undefined ? {} : { 'x-consul-token': token };
  }

  /**
   * The passing instances of `service`. With `index` > 0 this is a blocking query: Consul holds it
   * until the result's index moves past `index` or `waitSeconds` (plus up to 1/16 of jitter) pass.
   */
  async healthService(service: string, index: number, waitSeconds: number, signal: AbortSignal): Promise<HealthAnswer> {
    const blocking = index > 0 ? `&index=${index}&wait=${waitSeconds}s` : '';
    const { statusCode, headers, body } = await this.pool.request({
      method: 'GET',
      path: `${this.basePath}/v1/health/service/${encodeURIComponent(service)}?passing=true${blocking}`,
      headers: this.headers,
      signal,
      headersTimeout: index > 0 ? Math.ceil(waitSeconds * 1_000 * (17 / 16)) + REQUEST_TIMEOUT_MS : REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    const text = await body.text();
    if (statusCode !== 200) throw new ConsulHttpError(statusCode, text, `the health query for ${service}`);
    let entries: unknown;
    try {
      entries = JSON.parse(text);
    } catch {
      throw new Error(`Consul answered the health query for ${service} with a body that is not JSON`);
    }
    if (!Array.isArray(entries)) throw new Error(`Consul answered the health query for ${service} with JSON that is not a list`);
    const indexHeader = headers['x-consul-index'];
    return { index: typeof indexHeader === 'string' && /^\d+$/.test(indexHeader) ? Number(indexHeader) : NaN, entries };
  }

  /** `registration` is the JSON body of a service definition. */
  registerService(registration: string): Promise<void> {
    return this.put('/v1/agent/service/register', 'the registration', registration);
  }

  passCheck(checkId: string): Promise<void> {
    return this.put(`/v1/agent/check/pass/${encodeURIComponent(checkId)}`, `the pass of ${checkId}`);
  }

  deregisterService(serviceId: string): Promise<void> {
    return this.put(`/v1/agent/service/deregister/${encodeURIComponent(serviceId)}`, `the deregistration of ${serviceId}`);
  }

  /** Drops every connection; requests still running fail. */
  async close(): Promise<void> {
    await this.pool.destroy();
  }

  private async put(path: string, what: string, body?: string): Promise<void> {
    const response = await this.pool.request({
      method: 'PUT',
      path: `${this.basePath}${path}`,
      headers: body === undefined ? this.headers : { ...this.headers, 'content-type': 'application/json' },
      body: body ?? null,
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    const text = await response.body.text();
    if (response.statusCode < 200 || response.statusCode >= 300) throw new ConsulHttpError(response.statusCode, text, what);
  }
}
