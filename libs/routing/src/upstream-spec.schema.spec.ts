import { describe, expect, it } from 'vitest';
import { upstreamSpecSchema } from './upstream-spec.schema.js';

const withTarget = (url: string) => upstreamSpecSchema.safeParse({ targets: [{ url }] });

describe('upstreamSpecSchema', () => {
  it('fills every default from one target', () => {
    expect(upstreamSpecSchema.parse({ targets: [{ url: 'http://10.0.0.1:8080' }] })).toEqual({
      targets: [{ url: 'http://10.0.0.1:8080', weight: 1 }],
      balancer: 'round-robin',
      timeout: { connectMs: 1000, requestMs: 30_000 },
      retries: { attempts: 0, backoffMs: 50, maxBackoffMs: 1000, budgetRatio: 0.2 },
      maxConnectionsPerTarget: 128,
      host: 'upstream',
    });
  });

  it('fills the defaults inside optional blocks that are present', () => {
    const spec = upstreamSpecSchema.parse({
      targets: [{ url: 'http://a' }],
      circuitBreaker: {},
      healthCheck: { path: '/healthz' },
    });
    expect(spec.circuitBreaker).toEqual({ failureThreshold: 5, openMs: 10_000, halfOpenRequests: 1 });
    expect(spec.healthCheck).toEqual({
      path: '/healthz',
      intervalMs: 5000,
      timeoutMs: 1000,
      healthyThreshold: 1,
      unhealthyThreshold: 2,
    });
  });

  it('keeps a base path without its trailing slash, so the upstream path appends directly', () => {
    expect(withTarget('https://Example.com:443/base/').data?.targets[0]?.url).toBe('https://example.com/base');
    expect(withTarget('http://127.0.0.1:4001/').data?.targets[0]?.url).toBe('http://127.0.0.1:4001');
  });

  it.each([
    ['ftp://example.com', 'expected an http:// or https:// URL'],
    ['example.com', 'expected an http:// or https:// URL'],
    ['http://example.com/?a=1', 'no query or fragment'],
    ['http://example.com/#top', 'no query or fragment'],
    ['http://user:secret@example.com', 'no credentials'],
  ])('refuses the target %s', (url, message) => {
    const issues = withTarget(url).error?.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    expect(issues).toEqual([{ path: 'targets.0.url', message: expect.stringContaining(message) as string }]);
  });

  it('refuses an upstream without targets and values outside their range', () => {
    const result = upstreamSpecSchema.safeParse({
      targets: [],
      balancer: 'fastest',
      retries: { attempts: 11, budgetRatio: 0 },
      timeout: { connectMs: 0 },
    });
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual([
      'targets',
      'balancer',
      'timeout.connectMs',
      'retries.attempts',
      'retries.budgetRatio',
    ]);
  });
});
