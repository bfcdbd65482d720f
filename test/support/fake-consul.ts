import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AgentRefusal, ConsulAgentState, CONSUL_TIMINGS, parseGoDuration, type AgentTimings, type CheckStatus } from './fake-consul-agent.js';
import { freePort } from './free-port.js';

/**
 * A protocol-faithful stand-in for a Consul agent's HTTP API, for suites that cannot run Consul:
 * the endpoints a discovery provider uses, with the shapes, status codes, reasons and headers of
 * Consul's API documentation. `GET /v1/health/service/:service` (with `passing`) is a blocking
 * query: with `index`, it is held until the result's `X-Consul-Index` moves past it or `wait`
 * (default 5m, at most 10m, plus up to wait/16 of jitter) passes, then answers the current index.
 * With `aclToken` the agent enforces ACLs the way a default-deny agent does: an unknown token is
 * refused (403 "ACL not found"), anonymous writes are denied, anonymous reads come back empty.
 */
export interface FakeConsulOptions extends Partial<AgentTimings> {
  port?: number;
  aclToken?: string;
}

const STATUSES: Record<string, CheckStatus> = { pass: 'passing', warn: 'warning', fail: 'critical' };

export class FakeConsul {
  private state: ConsulAgentState;
  private server: Server | undefined;
  private readonly held = new Map<string, number>();
  private readonly queries = new Map<string, number>();
  /** How many `PUT /v1/agent/service/register` the agent accepted, over restarts. */
  registrations = 0;

  private constructor(
    readonly port: number,
    private readonly options: FakeConsulOptions,
  ) {
    this.state = this.freshState();
  }

  static async start(options: FakeConsulOptions = {}): Promise<FakeConsul> {
    const consul = new FakeConsul(options.port ?? (await freePort()), options);
    await consul.listen();
    return consul;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Blocking health queries for `service` held open right now. */
  heldQueries(service: string): number {
    return this.held.get(service) ?? 0;
  }

  /** Health queries for `service` received so far, over restarts. */
  healthQueries(service: string): number {
    return this.queries.get(service) ?? 0;
  }

  /** Stops listening and drops every connection, held queries included, like a killed agent. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.state.close();
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  /** Comes back on the same port with nothing registered, like an agent restarted without its data dir. */
  async restart(): Promise<void> {
    await this.stop();
    this.state = this.freshState();
    await this.listen();
  }

  private freshState(): ConsulAgentState {
    return new ConsulAgentState({
      deregisterIntervalMinMs: this.options.deregisterIntervalMinMs ?? CONSUL_TIMINGS.deregisterIntervalMinMs,
      reapIntervalMs: this.options.reapIntervalMs ?? CONSUL_TIMINGS.reapIntervalMs,
    });
  }

  private async listen(): Promise<void> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (error instanceof AgentRefusal) answerText(response, error.status, error.message);
        else answerText(response, 500, error instanceof Error ? error.message : String(error));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const access = this.access(request);
    if (access === 'unknown token') return answerText(response, 403, 'ACL not found');
    const health = /^\/v1\/health\/service\/([^/]+)$/.exec(url.pathname);
    if (health) {
      requireMethod(request, 'GET');
      return this.healthService(decodeURIComponent(health[1]!), url.searchParams, access === 'anonymous', response);
    }
    requireMethod(request, 'PUT');
    if (access === 'anonymous') throw new AgentRefusal(403, 'Permission denied: anonymous token lacks permission');
    if (url.pathname === '/v1/agent/service/register') {
      this.state.register(await readDefinition(request));
      this.registrations += 1;
      return answerText(response, 200, '');
    }
    const deregister = /^\/v1\/agent\/service\/deregister\/([^/]+)$/.exec(url.pathname);
    if (deregister) {
      this.state.deregister(decodeURIComponent(deregister[1]!));
      return answerText(response, 200, '');
    }
    const check = /^\/v1\/agent\/check\/(pass|warn|fail)\/([^/]+)$/.exec(url.pathname);
    if (check) {
      this.state.updateCheck(decodeURIComponent(check[2]!), STATUSES[check[1]!]!, url.searchParams.get('note') ?? '');
      return answerText(response, 200, '');
    }
    answerText(response, 404, '404 page not found');
  }

  private async healthService(
    name: string,
    query: URLSearchParams,
    anonymous: boolean,
    response: ServerResponse,
  ): Promise<void> {
    this.queries.set(name, this.healthQueries(name) + 1);
    const index = query.get('index') ?? '0';
    if (!/^\d+$/.test(index)) throw new AgentRefusal(400, 'Invalid index');
    const waitMs = Math.min(parseGoDuration(query.get('wait') ?? '5m') ?? NaN, 600_000);
    if (Number.isNaN(waitMs)) throw new AgentRefusal(400, 'Invalid wait time');
    const passing = query.has('passing') && !['false', '0'].includes(query.get('passing')!);
    if (Number(index) > 0 && this.state.indexOf(name) <= Number(index)) {
      await this.hold(name, Number(index), waitMs + Math.random() * (waitMs / 16), response);
      if (response.destroyed) return;
    }
    response.writeHead(200, {
      'content-type': 'application/json',
      'x-consul-index': String(this.state.indexOf(name)),
      'x-consul-knownleader': 'true',
      'x-consul-lastcontact': '0',
      ...(anonymous && { 'x-consul-results-filtered-by-acls': 'true' }),
    });
    response.end(JSON.stringify(anonymous ? [] : this.state.healthService(name, passing)));
  }

  /** Resolves when the index of `name` passes `index`, the wait is over or the client left. */
  private hold(name: string, index: number, waitMs: number, response: ServerResponse): Promise<void> {
    const state = this.state;
    this.held.set(name, this.heldQueries(name) + 1);
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        unsubscribe();
        response.off('close', release);
        this.held.set(name, this.heldQueries(name) - 1);
        resolve();
      };
      const timer = setTimeout(release, waitMs);
      const unsubscribe = state.onChange(() => {
        if (state.indexOf(name) > index) release();
      });
      // A response closes before it is written only when the client or the server dropped the connection.
      response.on('close', release);
    });
  }

  private access(request: IncomingMessage): 'allowed' | 'anonymous' | 'unknown token' {
    if (this.options.aclToken === undefined) return 'allowed';
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const header = request.headers['x-consul-token'];
    const token = (typeof header === 'string' ? header : undefined) ?? bearer;
    if (token === undefined || token === '') return 'anonymous';
    return token === this.options.aclToken ? 'allowed' : 'unknown token';
  }
}

function answerText(response: ServerResponse, status: number, text: string): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
}

function requireMethod(request: IncomingMessage, method: string): void {
  if (request.method !== method) throw new AgentRefusal(405, `method ${request.method} not allowed`);
}

async function readDefinition(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  let definition: unknown;
  try {
    definition = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new AgentRefusal(400, `Request decode failed: ${(error as Error).message}`);
  }
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
    throw new AgentRefusal(400, 'Request decode failed: expected a JSON object');
  }
  return definition as Record<string, unknown>;
}
