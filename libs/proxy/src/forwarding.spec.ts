import { describe, expect, it } from 'vitest';
import { forwardingHeaders } from './forwarded.js';
import { endToEndHeaders } from './hop-by-hop.js';
import { compileTrustProxy } from './trust-proxy.js';
import { BodyTooLarge, classifyForwardFailure } from './upstream-failure.js';

describe('endToEndHeaders', () => {
  it('drops hop-by-hop headers, those named in Connection, and the ones the proxy owns', () => {
    const headers = endToEndHeaders(
      {
        connection: 'keep-alive, X-Session-Hop',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        te: 'trailers',
        upgrade: 'h2c',
        'proxy-authorization': 'Basic abc',
        'x-session-hop': 'one hop only',
        host: 'gateway.test',
        accept: 'application/json',
        'set-cookie': ['a=1', 'b=2'],
      },
      new Set(['host']),
    );
    expect(headers).toEqual({ accept: 'application/json', 'set-cookie': ['a=1', 'b=2'] });
  });
});

describe('forwardingHeaders', () => {
  it('writes the chain client first, and the Forwarded header with proto and host on the last hop', () => {
    expect(forwardingHeaders({ chain: ['203.0.113.7', '10.0.0.2'], proto: 'https', host: 'api.example.com' })).toEqual({
      'x-forwarded-for': '203.0.113.7, 10.0.0.2',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'api.example.com',
      forwarded: 'for=203.0.113.7, for=10.0.0.2;proto=https;host=api.example.com',
    });
  });

  it('brackets and quotes IPv6 addresses and quotes hosts with a port', () => {
    const headers = forwardingHeaders({ chain: ['2001:db8::1'], proto: 'http', host: 'localhost:3000' });
    expect(headers['forwarded']).toBe('for="[2001:db8::1]";proto=http;host="localhost:3000"');
  });
});

describe('compileTrustProxy', () => {
  it('trusts no one by default', () => {
    expect(compileTrustProxy('')).toBe(false);
    expect(compileTrustProxy('false')).toBe(false);
    expect(compileTrustProxy('0')).toBe(false);
  });

  it('trusts a number of hops', () => {
    const trust = compileTrustProxy('1');
    expect(trust && trust('198.51.100.1', 0)).toBe(true);
    expect(trust && trust('198.51.100.1', 1)).toBe(false);
  });

  it('trusts listed addresses, ranges and names only', () => {
    const trust = compileTrustProxy('10.0.0.0/8, loopback');
    expect(trust && trust('10.1.2.3', 0)).toBe(true);
    expect(trust && trust('127.0.0.1', 0)).toBe(true);
    expect(trust && trust('198.51.100.1', 0)).toBe(false);
  });

  it('names the entry that does not parse', () => {
    expect(() => compileTrustProxy('10.0.0.0/8,not-an-ip')).toThrow('"not-an-ip" is not an IP address');
  });
});

describe('classifyForwardFailure', () => {
  const code = (value: string) => Object.assign(new Error('boom at 10.0.0.5:8080'), { code: value });

  it.each([
    ['ECONNREFUSED', 502, 'refused', true],
    ['ECONNRESET', 502, 'reset', true],
    ['UND_ERR_SOCKET', 502, 'reset', true],
    ['UND_ERR_CONNECT_TIMEOUT', 504, 'timeout', true],
    ['PORTICO_DEADLINE', 504, 'timeout', true],
    ['UND_ERR_ABORTED', 499, 'cancelled', false],
  ] as const)('maps %s to %i (%s)', (errorCode, status, outcome, retryable) => {
    const failure = classifyForwardFailure(code(errorCode), 'echo');
    expect(failure.outcome).toBe(outcome);
    expect(failure.retryable).toBe(retryable);
    const problem = failure.problem().problem;
    expect(problem.status).toBe(status);
    expect(problem.detail).not.toContain('10.0.0.5');
  });

  it('reads the OS code from a wrapped cause, and knows an aborted signal', () => {
    expect(classifyForwardFailure(new Error('fetch failed', { cause: code('ECONNREFUSED') }), 'echo').outcome).toBe('refused');
    const aborted = new AbortController();
    aborted.abort();
    expect(classifyForwardFailure(aborted.signal.reason, 'echo').outcome).toBe('cancelled');
  });

  it('answers 413 for a body over the limit and a generic 502 for anything else', () => {
    expect(classifyForwardFailure(new BodyTooLarge(10), 'echo').problem().problem.status).toBe(413);
    const unknown = classifyForwardFailure(new Error('odd'), 'echo');
    expect(unknown.retryable).toBe(false);
    expect(unknown.problem().problem).toMatchObject({ status: 502, detail: 'echo failed' });
  });
});
