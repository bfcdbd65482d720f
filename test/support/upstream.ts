import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { freePort } from './free-port.js';

/** What an upstream saw of one request, as it answers by default. */
export interface EchoAnswer {
  server: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export type UpstreamBehaviour = 'answer' | 'hang' | 'fail';

/**
 * A real HTTP (and WebSocket) upstream for proxy suites, in the test process:
 * - `GET /healthz` answers 200, or 503 while `healthy` is false;
 * - `POST /upload` streams the body through a SHA-256 and answers `{ bytes, sha256 }`;
 * - `GET /download?bytes=N` streams N bytes of a repeating pattern;
 * - `GET /slow?ms=N` answers after N ms;
 * - anything else echoes the request (EchoAnswer); `behaviour` makes it hang or answer 500 instead;
 * - WebSocket connections echo every message as `<name>:<message>`.
 */
export class TestUpstream {
  behaviour: UpstreamBehaviour = 'answer';
  healthy = true;
  /** Requests answered per path, health checks excluded. */
  served = 0;
  /** The URL of every WebSocket handshake, as the upstream received it. */
  readonly upgradeUrls: string[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly websockets: WebSocketServer;

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly server: Server,
  ) {
    this.websockets = new WebSocketServer({ server });
    this.websockets.on('connection', (socket, request) => {
      this.upgradeUrls.push(request.url ?? '');
      socket.send(`${name}:hello ${String(request.headers['x-portico-sub'] ?? 'anonymous')}`);
      socket.on('message', (data) => socket.send(`${name}:${(data as Buffer).toString("utf8")}`));
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(name: string, port?: number): Promise<TestUpstream> {
    const chosen = port ?? (await freePort());
    const server = createServer();
    const upstream = new TestUpstream(name, chosen, server);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => upstream.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(chosen, '127.0.0.1', resolve);
    });
    return upstream;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stops at once, resetting open connections, as a crashed process would. */
  async kill(): Promise<void> {
    for (const client of this.websockets.clients) client.terminate();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://upstream');
    if (url.pathname === '/healthz') {
      response.writeHead(this.healthy ? 200 : 503).end();
      return;
    }
    this.served++;
    if (url.pathname === '/upload') return this.upload(request, response);
    if (url.pathname === '/download') return this.download(Number(url.searchParams.get('bytes') ?? 0), response);
    if (url.pathname === '/slow') {
      setTimeout(() => this.echo(request, response), Number(url.searchParams.get('ms') ?? 0));
      return;
    }
    if (this.behaviour === 'hang') return;
    if (this.behaviour === 'fail') {
      response.writeHead(500, { 'content-type': 'text/plain' }).end('upstream failure');
      return;
    }
    this.echo(request, response);
  }

  private echo(request: IncomingMessage, response: ServerResponse): void {
    request.resume();
    const answer: EchoAnswer = { server: this.name, method: request.method ?? '', url: request.url ?? '', headers: request.headers };
    response.writeHead(200, {
      'content-type': 'application/json',
      'x-upstream': this.name,
      'x-internal-secret': 'upstream-only',
      // Named in Connection, so hop-by-hop: a proxy must not pass it on.
      connection: 'keep-alive, x-hop-marker',
      'x-hop-marker': 'must-not-pass',
    });
    response.end(JSON.stringify(answer));
  }

  private upload(request: IncomingMessage, response: ServerResponse): void {
    const hash = createHash('sha256');
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ server: this.name, bytes, sha256: hash.digest('hex') }));
    });
  }

  private download(bytes: number, response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes) });
    const chunk = Buffer.alloc(64 * 1024, 'portico-');
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        if (!response.write(piece)) {
          response.once('drain', pump);
          return;
        }
      }
      response.end();
    };
    pump();
  }
}
