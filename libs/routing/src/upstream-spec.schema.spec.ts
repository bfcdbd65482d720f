import { describe, expect, it } from 'vitest';
import { upstreamSpecSchema } from './upstream-spec.schema.js';

const withTarget = (url: string) => upstreamSpecSchema.safeParse({ targets: [{ url }] });

const issuesOf = (input: unknown) =>
  upstreamSpecSchema.safeParse(input).error?.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));

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
    expect(withTarget('https://Example.com:443/base/').data?.targets?.[0]?.url).toBe('https://example.com/base');
    expect(withTarget('http://127.0.0.1:4001/').data?.targets?.[0]?.url).toBe('http://127.0.0.1:4001');
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

  it('takes a discovered service instead of targets, over http unless it says https', () => {
    const spec = upstreamSpecSchema.parse({ discovery: { service: 'player-http' }, prefer: { zone: 'eu-1' } });
    expect(spec.discovery).toEqual({ service: 'player-http', scheme: 'http' });
    expect(spec.targets).toBeUndefined();
    expect(spec.prefer).toEqual({ zone: 'eu-1' });
    expect(upstreamSpecSchema.parse({ discovery: { service: 'orders.v2', scheme: 'https' } }).discovery?.scheme).toBe('https');
  });

  it('needs exactly one of targets and discovery, and says so beside any other problem', () => {
    expect(issuesOf({ targets: [{ url: 'http://a' }], discovery: { service: 'players' } })).toEqual([
      { path: 'discovery', message: 'set either targets or discovery, not both' },
    ]);
    expect(issuesOf({ balancer: 'fastest' })).toEqual([
      { path: 'balancer', message: expect.stringContaining('Invalid option') as string },
      { path: '', message: 'an upstream needs targets or discovery' },
    ]);
  });

  it.each(['Players', 'player service', 'players/eu', '{players}', '-players', 'players-', 'p'.repeat(64), ''])(
    'refuses the service name %j',
    (service) => {
      expect(issuesOf({ discovery: { service } })).toEqual([{ path: 'discovery.service', message: expect.stringContaining('expected a service name') as string }]);
    },
  );

  it('refuses an unknown scheme, an empty prefer and a bad label name', () => {
    expect(issuesOf({ discovery: { service: 'players', scheme: 'grpc' }, prefer: {} })?.map((issue) => issue.path)).toEqual([
      'discovery.scheme',
      'prefer',
    ]);
    expect(issuesOf({ discovery: { service: 'players' }, prefer: { 'a zone': 'eu' } })).toEqual([
      { path: 'prefer.a zone', message: expect.stringContaining('expected a label name') as string },
    ]);
  });

  it('gives fixed targets metadata, for prefer to match like a discovered instance’s', () => {
    const spec = upstreamSpecSchema.parse({
      targets: [{ url: 'http://10.0.0.1', metadata: { zone: 'eu-1' } }, { url: 'http://10.0.0.2' }],
      prefer: { zone: 'eu-1' },
    });
    expect(spec.targets).toEqual([
      { url: 'http://10.0.0.1', weight: 1, metadata: { zone: 'eu-1' } },
      { url: 'http://10.0.0.2', weight: 1 },
    ]);
  });
});
