import { describe, expect, it } from 'vitest';
import { isForeignUpgrade } from './foreign-upgrade.js';

describe('isForeignUpgrade', () => {
  const owned = ['/socket.io'];

  it('leaves socket.io handshakes, with their query, to socket.io', () => {
    expect(isForeignUpgrade('/socket.io/?EIO=4&transport=websocket', owned)).toBe(true);
    expect(isForeignUpgrade('/socket.io', owned)).toBe(true);
  });

  it('keeps every other path, including look-alikes, for the route table', () => {
    expect(isForeignUpgrade('/socket.io-fake/x', owned)).toBe(false);
    expect(isForeignUpgrade('/ws/echo?socket.io', owned)).toBe(false);
    expect(isForeignUpgrade('/socket.io/', [])).toBe(false);
  });
});
