import type { IncomingMessage, ServerResponse } from 'node:http';
import { compileTrustProxy } from '@portico/proxy';
import { describe, expect, it } from 'vitest';
import { clientOrigin, DirectExchange } from './edge-exchange.js';

function request(peer: string, headers: IncomingMessage['headers'], encrypted = false): IncomingMessage {
  return { socket: { remoteAddress: peer, encrypted }, connection: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

describe('clientOrigin', () => {
  const spoofing = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.test', host: 'api.example.test' };

  it('ignores forwarding headers when no proxy is trusted', () => {
    expect(clientOrigin(request('198.51.100.7', spoofing), false)).toEqual({
      ip: '198.51.100.7',
      origin: { chain: ['198.51.100.7'], proto: 'http', host: 'api.example.test' },
    });
  });

  it('ignores them from a peer outside the trusted ranges', () => {
    const { ip, origin } = clientOrigin(request('198.51.100.7', spoofing), compileTrustProxy('10.0.0.0/8'));
    expect(ip).toBe('198.51.100.7');
    expect(origin).toEqual({ chain: ['198.51.100.7'], proto: 'http', host: 'api.example.test' });
  });

  it('reads them from a trusted proxy, taking the value the nearest proxy added', () => {
    const forwarded = { 'x-forwarded-for': '192.0.2.1, 203.0.113.9', 'x-forwarded-proto': 'http, https', 'x-forwarded-host': 'a.test, shop.example.test', host: 'internal:8080' };
    const { ip, origin } = clientOrigin(request('10.0.0.2', forwarded), compileTrustProxy('10.0.0.0/8'));
    // 203.0.113.9 is not trusted, so what it claims about 192.0.2.1 is not believed.
    expect(ip).toBe('203.0.113.9');
    expect(origin).toEqual({ chain: ['203.0.113.9', '10.0.0.2'], proto: 'https', host: 'shop.example.test' });
  });

  it('says https for a TLS socket and leaves the host out when the request has none', () => {
    expect(clientOrigin(request('198.51.100.7', {}, true), false).origin).toEqual({ chain: ['198.51.100.7'], proto: 'https', host: undefined });
  });
});

describe('DirectExchange', () => {
  it('gathers response headers under lower-case names, as Fastify does', () => {
    const exchange = new DirectExchange(request('127.0.0.1', {}), {} as ServerResponse, '/x', 'id-1', '127.0.0.1', { chain: [], proto: 'http', host: undefined }, { 'x-request-id': 'id-1' });
    exchange.setHeaders({ 'RateLimit-Limit': '10' });
    exchange.setHeaders({ 'ratelimit-limit': '5' });
    expect(exchange.takeOver()).toEqual({ 'x-request-id': 'id-1', 'ratelimit-limit': '5' });
  });
});
