import { isIPv6 } from 'node:net';

/** What the gateway knows about the client, after applying TRUST_PROXY. */
export interface ClientOrigin {
  /**
   * The addresses from the client to the gateway's direct peer: Fastify's `request.ips` reversed,
   * which stops at the first untrusted hop, so addresses a client wrote into X-Forwarded-For itself
   * are dropped.
   */
  chain: readonly string[];
  proto: string;
  host: string | undefined;
}

function forwardedNode(address: string): string {
  // RFC 7239 §6: IPv6 addresses are bracketed and the whole value quoted. Every IPv6 address has a
  // colon and no IPv4 one does: the colon test spares IPv4 clients isIPv6's long regex per request.
  return address.includes(':') && isIPv6(address) ? `"[${address}]"` : address;
}

function quoted(value: string): string {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value) ? value : `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** X-Forwarded-For/-Proto/-Host and the standard Forwarded header, rebuilt from trusted facts only. */
export function forwardingHeaders(origin: ClientOrigin): Record<string, string> {
  const headers: Record<string, string> = {
    'x-forwarded-for': origin.chain.join(', '),
    'x-forwarded-proto': origin.proto,
  };
  const elements = origin.chain.map((address) => `for=${forwardedNode(address)}`);
  let last = `${elements.pop() ?? 'for=unknown'};proto=${origin.proto}`;
  if (origin.host !== undefined) {
    headers['x-forwarded-host'] = origin.host;
    last += `;host=${quoted(origin.host)}`;
  }
  elements.push(last);
  headers['forwarded'] = elements.join(', ');
  return headers;
}
