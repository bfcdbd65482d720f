import { describe, expect, it } from 'vitest';
import { playerV1 } from './index.js';

describe('generated messages', () => {
  it('round-trip through encode and decode', () => {
    const stats: playerV1.PlayerStats = {
      playerId: 'p7',
      gamesPlayed: 120,
      wins: 70,
      losses: 50,
      rating: 1_640,
      chips: -250,
    };

    const bytes = playerV1.PlayerStats.encode(stats).finish();

    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(playerV1.PlayerStats.decode(bytes)).toEqual(stats);
  });
});
