import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { labelRoute } from '@portico/observability';
import type { ClientOrigin, HeaderMap, TrustProxy } from '@portico/proxy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import proxyAddr from 'proxy-addr';

/**
 * One request to a route-file route, however it arrived: served ahead of Fastify from the server's
 * request event, or through Fastify's catch-all route (when CORS applies). The proxy reads the request
 * and answers through this alone, so both ways behave the same.
 */
export interface EdgeExchange {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly method: string;
  /** Path and query as routed: after the media-type version rewrite. */
  readonly url: string;
  readonly requestId: string;
  /** The client's address after TRUST_PROXY: the balancing key and the rate-limit subject. */
  readonly ip: string;
  readonly origin: ClientOrigin;
  /** Headers for the client's response, on top of those gathered so far. */
  setHeaders(headers: Readonly<Record<string, string>>): void;
  /** Names the route for the metrics and the access log. */
  label(route: string): void;
  /** Takes the response over from whatever gathered its headers; returns them for writeHead. */
  takeOver(): HeaderMap;
}

export function fastifyExchange(request: FastifyRequest, reply: FastifyReply): EdgeExchange {
  return {
    request: request.raw,
    response: reply.raw,
    method: request.method,
    url: request.url,
    requestId: String(request.id),
    ip: request.ip,
    origin: { chain: request.ips ? [...request.ips].reverse() : [request.ip], proto: request.protocol, host: request.host || undefined },
    setHeaders: (headers) => void reply.headers(headers),
    label: (route) => labelRoute(request, route),
    takeOver: () => {
      reply.hijack();
      return reply.getHeaders() as HeaderMap;
    },
  };
}

/** The last of a list header's values: the one the nearest proxy added. */
function lastValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header.at(-1) : header;
  if (value === undefined) return undefined;
  const comma = value.lastIndexOf(',');
  return (comma === -1 ? value : value.slice(comma + 1)).trim();
}

/**
 * What Fastify's request would say about the client (`ip`, `ips`, `protocol`, `host` under its
 * trustProxy option), read from the Node request: forwarding headers count only from trusted peers.
 */
export function clientOrigin(request: IncomingMessage, trust: TrustProxy | false): { ip: string; origin: ClientOrigin } {
  const peer = request.socket.remoteAddress ?? 'unknown';
  const encrypted = (request.socket as { encrypted?: boolean }).encrypted === true;
  if (!trust) return { ip: peer, origin: { chain: [peer], proto: encrypted ? 'https' : 'http', host: request.headers.host || undefined } };
  const chain = proxyAddr.all(request, trust).reverse();
  const trustedPeer = trust(peer, 0);
  const proto = (trustedPeer && lastValue(request.headers['x-forwarded-proto'])) || (encrypted ? 'https' : 'http');
  const host = (trustedPeer && lastValue(request.headers['x-forwarded-host'])) || request.headers.host || undefined;
  return { ip: chain[0] ?? peer, origin: { chain, proto, host } };
}

/** An exchange served straight from the Node server's request event; its headers gather here. */
export class DirectExchange implements EdgeExchange {
  readonly method: string;
  readonly started = performance.now();
  route: string | undefined;

  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
    readonly url: string,
    readonly requestId: string,
    readonly ip: string,
    readonly origin: ClientOrigin,
    private readonly headers: OutgoingHttpHeaders,
  ) {
    this.method = request.method ?? 'GET';
  }

  setHeaders(headers: Readonly<Record<string, string>>): void {
    // Lower-cased as Fastify's reply does, so a name set twice in different cases is one header.
    for (const name in headers) this.headers[name.toLowerCase()] = headers[name];
  }

  label(route: string): void {
    this.route = route;
  }

  takeOver(): HeaderMap {
    return this.headers as HeaderMap;
  }
}
