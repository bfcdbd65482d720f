import { describe, expect, it } from 'vitest';
import { matchesIfNoneMatch, refusal, replayedHeaders } from './cacheability.js';

const STATUSES = new Set([200, 203, 204, 301, 404]);

describe('what may be stored', () => {
  it('only the configured statuses', () => {
    for (const status of [200, 203, 204, 301, 404]) expect(refusal(status, {}, false, STATUSES)).toBeUndefined();
    for (const status of [201, 302, 304, 400, 500, 503]) expect(refusal(status, {}, false, STATUSES)).toBe('status');
    expect(refusal(500, {}, false, new Set([500]))).toBeUndefined();
  });

  it('never no-store or no-cache answers, nor those setting cookies or varying by everything', () => {
    expect(refusal(200, { 'cache-control': 'max-age=0, No-Store' }, true, STATUSES)).toBe('no-store');
    expect(refusal(200, { 'cache-control': 'no-cache' }, true, STATUSES)).toBe('no-store');
    expect(refusal(200, { 'set-cookie': ['a=1'] }, true, STATUSES)).toBe('set-cookie');
    expect(refusal(200, { vary: 'Accept, *' }, true, STATUSES)).toBe('vary');
  });

  it('private and Authorization- or Cookie-dependent answers only as the caller’s own entry', () => {
    expect(refusal(200, { 'cache-control': 'private, max-age=60' }, false, STATUSES)).toBe('private');
    expect(refusal(200, { 'cache-control': 'private, max-age=60' }, true, STATUSES)).toBeUndefined();
    expect(refusal(200, { vary: 'Accept-Encoding, Authorization' }, false, STATUSES)).toBe('authorization');
    expect(refusal(200, { vary: ['cookie'] }, false, STATUSES)).toBe('authorization');
    expect(refusal(200, { vary: 'authorization' }, true, STATUSES)).toBeUndefined();
  });

  it('replays end-to-end headers, lowercased, without per-request or per-connection ones', () => {
    expect(
      replayedHeaders({
        'Content-Type': 'application/json',
        'content-language': 'en',
        vary: ['accept', 'accept-language'],
        'content-length': '12',
        'transfer-encoding': 'chunked',
        'set-cookie': 'a=1',
        date: 'now',
        etag: '"x"',
        'x-request-id': 'r1',
        'ratelimit-remaining': '3',
        'x-upstream': 'a',
      }),
    ).toEqual({ 'content-type': 'application/json', 'content-language': 'en', vary: 'accept, accept-language', 'x-upstream': 'a' });
  });
});

describe('If-None-Match', () => {
  it('matches the same tag, a weak copy of it, a list holding it and *', () => {
    expect(matchesIfNoneMatch('"abc"', '"abc"')).toBe(true);
    expect(matchesIfNoneMatch('W/"abc"', '"abc"')).toBe(true);
    expect(matchesIfNoneMatch('"x", "abc"', '"abc"')).toBe(true);
    expect(matchesIfNoneMatch('*', '"abc"')).toBe(true);
    expect(matchesIfNoneMatch('"abd"', '"abc"')).toBe(false);
    expect(matchesIfNoneMatch(undefined, '"abc"')).toBe(false);
  });
});
