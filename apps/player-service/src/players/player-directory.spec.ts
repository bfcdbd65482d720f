import { describe, expect, it } from 'vitest';
import { PlayerDirectory } from './player-directory.js';

const ids = Array.from({ length: 20 }, (_, index) => `p${index + 1}`);

describe('PlayerDirectory', () => {
  it('holds the players p1 to p20 with complete profiles', () => {
    const directory = new PlayerDirectory();

    const players = ids.map((id) => directory.get(id));

    for (const [index, player] of players.entries()) {
      const id = ids[index];
      expect(player).toEqual({
        id,
        displayName: expect.stringMatching(/\S/) as string,
        country: expect.stringMatching(/^[A-Z]{2}$/) as string,
        avatarUrl: `https://avatars.example/${id}.png`,
      });
    }
    expect(new Set(players.map((player) => player?.displayName)).size).toBe(20);
  });

  it('returns undefined for an unknown player', () => {
    const directory = new PlayerDirectory();

    expect(directory.get('p21')).toBeUndefined();
    expect(directory.get('')).toBeUndefined();
    expect(directory.stats('p0')).toBeUndefined();
  });

  it('returns many players in request order, once each, and lists the unknown ids', () => {
    const directory = new PlayerDirectory();

    const { players, missingIds } = directory.getMany(['p3', 'x1', 'p1', 'p3', 'x2', 'x1', 'p20']);

    expect(players.map((player) => player.id)).toEqual(['p3', 'p1', 'p20']);
    expect(players[0]).toEqual(directory.get('p3'));
    expect(missingIds).toEqual(['x1', 'x2']);
  });

  it('returns nothing for an empty request', () => {
    expect(new PlayerDirectory().getMany([])).toEqual({ players: [], missingIds: [] });
  });

  it('derives the same consistent statistics on every run', () => {
    const first = new PlayerDirectory();
    const second = new PlayerDirectory();

    expect(first.stats('p1')).toEqual({ playerId: 'p1', gamesPlayed: 38, wins: 15, losses: 23, rating: 1337, chips: 6000 });
    for (const id of ids) {
      const stats = first.stats(id);
      expect(stats).toEqual(second.stats(id));
      expect(stats?.playerId).toBe(id);
      expect((stats?.wins ?? 0) + (stats?.losses ?? 0)).toBe(stats?.gamesPlayed);
    }
  });

  it('hands out copies that cannot change the directory', () => {
    const directory = new PlayerDirectory();
    const original = directory.get('p1');

    const player = directory.get('p1');
    if (player) player.displayName = 'Mallory';
    const batch = directory.getMany(['p1']);
    if (batch.players[0]) batch.players[0].country = 'ZZ';
    const stats = directory.stats('p1');
    if (stats) stats.chips = 0;

    expect(directory.get('p1')).toEqual(original);
    expect(directory.stats('p1')?.chips).toBe(6000);
  });
});
