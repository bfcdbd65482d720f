import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE, type ProblemDetails } from '@portico/errors';
import type { Lease } from '@portico/upstream';
import { endToEndHeaders, type HeaderMap } from './hop-by-hop.js';
import type { TargetEndpoint } from './http-upstream.js';

const NOTHING_OMITTED = new Set<string>();

function headerLines(headers: HeaderMap): string {
  let lines = '';
  for (const name in headers) {
    const value = headers[name]!;
    for (const item of Array.isArray(value) ? value : [value]) lines += `${name}: ${item}\r\n`;
  }
  return lines;
}

/** Answers an upgrade request that will not be tunnelled with a plain HTTP problem response. */
export function refuseUpgrade(socket: Duplex, problem: ProblemDetails, headers: Readonly<Record<string, string>> = {}): void {
  if (!socket.writable) return;
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\n` +
      headerLines({
        ...headers,
        'content-type': PROBLEM_CONTENT_TYPE,
        'content-length': String(Buffer.byteLength(body)),
        connection: 'close',
      }) +
      `\r\n${body}`,
  );
}

export interface TunnelRequest {
  path: string;
  headers: HeaderMap;
  connectTimeoutMs: number;
}

/**
 * Opens the upstream side of a WebSocket upgrade and splices the two sockets together. From then on
 * bytes flow untouched in both directions; either side closing closes the other. Resolves once the
 * tunnel is open, to false when the client left while it opened; `onClose` runs when an open tunnel ends.
 */
export async function openWebSocketTunnel(
  endpoint: TargetEndpoint,
  request: TunnelRequest,
  client: Duplex,
  head: Buffer,
  lease: Lease,
  onClose: () => void,
): Promise<boolean> {
  const signal = AbortSignal.timeout(request.connectTimeoutMs);
  let upgraded: { headers: IncomingHttpHeaders; socket: Duplex };
  try {
    upgraded = await endpoint.client.upgrade({
      path: endpoint.basePath + request.path,
      headers: request.headers,
      protocol: 'websocket',
      signal,
    });
  } catch (error) {
    lease.fail();
    throw error;
  }
  lease.succeed();
  const upstream = upgraded.socket;
  if (client.destroyed) {
    upstream.destroy();
    return false;
  }
  client.write(
    'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n' +
      headerLines(endToEndHeaders(upgraded.headers, NOTHING_OMITTED)) +
      '\r\n',
  );
  if (head.length > 0) upstream.write(head);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    client.destroy();
    upstream.destroy();
    onClose();
  };
  for (const socket of [client, upstream]) {
    socket.on('error', close);
    socket.on('close', close);
  }
  upstream.pipe(client);
  client.pipe(upstream);
  return true;
}
