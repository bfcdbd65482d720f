import { describe, expect, it } from 'vitest';
import { requestIdFor } from './request-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFor', () => {
  it('keeps a well-formed incoming id', () => {
    expect(requestIdFor('req-42.a:b_c')).toBe('req-42.a:b_c');
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['too long', 'a'.repeat(129)],
    ['unsafe characters', 'abc\r\nx-evil: 1'],
    ['spaces', 'a b'],
    ['repeated header', ['a', 'b']],
  ])('replaces a %s id with a UUID', (_, incoming) => {
    expect(requestIdFor(incoming)).toMatch(UUID);
  });
});
