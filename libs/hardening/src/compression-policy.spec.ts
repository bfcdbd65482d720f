import { describe, expect, it } from 'vitest';
import { isCompressibleType } from './compression-policy.js';

describe('isCompressibleType', () => {
  it.each(['application/json; charset=utf-8', 'application/problem+json', 'text/html', 'text/plain', 'application/javascript', 'image/svg+xml'])(
    'compresses %s',
    (type) => {
      expect(isCompressibleType(type)).toBe(true);
    },
  );

  it.each(['text/event-stream', 'text/event-stream; charset=utf-8', 'application/octet-stream', 'image/png', 'application/gzip', 'application/zip'])(
    'leaves %s alone',
    (type) => {
      expect(isCompressibleType(type)).toBe(false);
    },
  );
});
