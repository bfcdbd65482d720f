import { describe, expect, it } from 'vitest';
import { clientTypeOf } from './session-observer.js';

describe('clientTypeOf', () => {
  it('takes the client type the handshake declares', () => {
    expect(clientTypeOf('iOS', 'Mozilla/5.0')).toBe('ios');
  });

  it('ignores a declared type that is not a short name', () => {
    expect(clientTypeOf('<script>', 'Mozilla/5.0 (X11; Linux x86_64)')).toBe('web');
    expect(clientTypeOf(42, undefined)).toBe('unknown');
  });

  it('guesses from the user agent', () => {
    expect(clientTypeOf(undefined, 'Mozilla/5.0 (Linux; Android 14)')).toBe('android');
    expect(clientTypeOf(undefined, 'Portico/3 CFNetwork/1490 Darwin/23')).toBe('ios');
    expect(clientTypeOf(undefined, 'node-XMLHttpRequest')).toBe('unknown');
  });
});
