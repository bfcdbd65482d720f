import { describe, expect, it } from 'vitest';
import {
  corsPolicyProblem,
  DEFAULT_EXPOSED_HEADERS,
  originMatcher,
  parseOriginList,
  socketIoAllowRequest,
  socketIoCors,
  type CorsPolicy,
} from './cors-policy.js';

const policy = (origins: string[], credentials = false): CorsPolicy => ({
  origins,
  credentials,
  methods: ['GET', 'POST'],
  allowedHeaders: ['authorization'],
  exposedHeaders: [...DEFAULT_EXPOSED_HEADERS],
  maxAgeSeconds: 600,
});

describe('parseOriginList', () => {
  it('reads exact origins and patterns, trimmed and lower-cased, and nothing from an empty value', () => {
    expect(parseOriginList(' https://App.example.com , https://*.example.org:8443,http://localhost:5173 ')).toEqual([
      'https://app.example.com',
      'https://*.example.org:8443',
      'http://localhost:5173',
    ]);
    expect(parseOriginList('')).toEqual([]);
    expect(parseOriginList('*')).toEqual(['*']);
  });

  it.each([
    ['https://app.example.com/', 'a trailing slash'],
    ['https://app.example.com/path', 'a path'],
    ['app.example.com', 'no scheme'],
    ['ftp://app.example.com', 'another scheme'],
    ['https://app.*.example.com', 'a wildcard inside the host'],
    ['https://*example.com', 'a wildcard that is not a whole label'],
  ])('refuses %s (%s), naming the entry', (entry) => {
    expect(() => parseOriginList(`https://ok.example.com,${entry}`)).toThrow(entry);
  });

  it('refuses * beside other entries', () => {
    expect(() => parseOriginList('*,https://app.example.com')).toThrow(/alone/);
  });
});

describe('originMatcher', () => {
  const allowed = originMatcher(parseOriginList('https://app.example.com,https://*.example.org,http://*.dev.test:8080'));

  it('allows exact origins, case-insensitively', () => {
    expect(allowed('https://app.example.com')).toBe(true);
    expect(allowed('https://APP.example.com')).toBe(true);
  });

  it('allows one or more labels in place of *', () => {
    expect(allowed('https://a.example.org')).toBe(true);
    expect(allowed('https://a.b.example.org')).toBe(true);
    expect(allowed('http://x.dev.test:8080')).toBe(true);
  });

  it.each([
    'http://app.example.com',
    'https://app.example.com:8443',
    'https://example.org',
    'https://evil-example.org',
    'https://example.org.evil.com',
    'http://a.example.org',
    'http://x.dev.test',
    'null',
  ])('refuses %s', (origin) => {
    expect(allowed(origin)).toBe(false);
  });

  it('refuses a request without an Origin, and allows every origin with *', () => {
    expect(allowed(undefined)).toBe(false);
    expect(originMatcher(['*'])('https://anything.example')).toBe(true);
    expect(originMatcher([])('https://app.example.com')).toBe(false);
  });
});

describe('corsPolicyProblem', () => {
  it('refuses * with credentials, and accepts listed origins with credentials', () => {
    expect(corsPolicyProblem({ origins: ['*'], credentials: true })).toMatch(/CORS_CREDENTIALS/);
    expect(corsPolicyProblem({ origins: ['*'], credentials: false })).toBeUndefined();
    expect(corsPolicyProblem({ origins: ['https://app.example.com'], credentials: true })).toBeUndefined();
  });
});

describe('socketIoCors', () => {
  const decide = (options: ReturnType<typeof socketIoCors>, origin: string | undefined) =>
    new Promise<boolean | undefined>((resolve, reject) => {
      if (options.origin === false) return resolve(false);
      options.origin(origin, (error, allow) => (error ? reject(error) : resolve(allow)));
    });

  it('carries the same policy as REST', async () => {
    const options = socketIoCors(policy(['https://*.example.com'], true));
    expect(options).toMatchObject({
      credentials: true,
      methods: ['GET', 'POST'],
      allowedHeaders: ['authorization'],
      exposedHeaders: [...DEFAULT_EXPOSED_HEADERS],
      maxAge: 600,
    });
    expect(await decide(options, 'https://app.example.com')).toBe(true);
    expect(await decide(options, 'https://evil.com')).toBe(false);
  });

  it('turns CORS off when no origin is configured', () => {
    expect(socketIoCors(policy([])).origin).toBe(false);
  });
});

describe('socketIoAllowRequest', () => {
  const allow = (origins: string[], headers: { origin?: string; host?: string }) =>
    new Promise<boolean>((resolve) => socketIoAllowRequest(policy(origins))({ headers }, (_error, allowed) => resolve(allowed)));

  it('allows non-browser clients, same-origin pages and allowed origins, and refuses the rest', async () => {
    expect(await allow([], { host: 'gw.example.com' })).toBe(true);
    expect(await allow([], { origin: 'https://gw.example.com', host: 'gw.example.com' })).toBe(true);
    expect(await allow(['https://app.example.com'], { origin: 'https://app.example.com', host: 'gw.example.com' })).toBe(true);
    expect(await allow(['https://app.example.com'], { origin: 'https://evil.com', host: 'gw.example.com' })).toBe(false);
    expect(await allow([], { origin: 'null', host: 'gw.example.com' })).toBe(false);
  });
});
