import type { playerV1 } from '@portico/contracts';

type Player = playerV1.Player;
type PlayerStats = playerV1.PlayerStats;

const DEMO_PLAYERS: ReadonlyArray<readonly [displayName: string, country: string]> = [
  ['Ada Whitfield', 'GB'],
  ['Mateo Álvarez', 'AR'],
  ['Yuki Tanaka', 'JP'],
  ['Lena Hoffmann', 'DE'],
  ['Oluwaseun Adeyemi', 'NG'],
  ['Camille Laurent', 'FR'],
  ['Rahul Mehta', 'IN'],
  ['Sofia Rossi', 'IT'],
  ["Liam O'Connor", 'IE'],
  ['Ana Souza', 'BR'],
  ['Min-jun Park', 'KR'],
  ['Freya Johansson', 'SE'],
  ['Diego Hernández', 'MX'],
  ['Chloe Nguyen', 'AU'],
  ['Noah Tremblay', 'CA'],
  ['Aylin Demir', 'TR'],
  ['Jakub Nowak', 'PL'],
  ['Wanjiru Kamau', 'KE'],
  ['Lucas van Dijk', 'NL'],
  ['Emily Carter', 'US'],
];

// Derived from the player's number rather than random, so demos and tests see the same figures every run.
function demoStats(playerId: string, number: number): PlayerStats {
  const gamesPlayed = 25 + number * 13;
  const wins = Math.floor((gamesPlayed * (35 + ((number * 7) % 30))) / 100);
  return {
    playerId,
    gamesPlayed,
    wins,
    losses: gamesPlayed - wins,
    rating: 1200 + ((number * 137) % 800),
    chips: 500 * (((number * 11) % 20) + 1),
  };
}

/** The demo players p1…p20 with their profiles and statistics. */
export class PlayerDirectory {
  private readonly players = new Map<string, Player>();
  private readonly statistics = new Map<string, PlayerStats>();

  constructor() {
    DEMO_PLAYERS.forEach(([displayName, country], index) => {
      const number = index + 1;
      const id = `p${number}`;
      this.players.set(id, { id, displayName, country, avatarUrl: `https://avatars.example/${id}.png` });
      this.statistics.set(id, demoStats(id, number));
    });
  }

  get(id: string): Player | undefined {
    const player = this.players.get(id);
    return player && { ...player };
  }

  /** The known players in the order first requested, each once, and the unknown ids likewise. */
  getMany(ids: readonly string[]): playerV1.BatchGetPlayersResponse {
    const players: Player[] = [];
    const missingIds: string[] = [];
    for (const id of new Set(ids)) {
      const player = this.get(id);
      if (player) players.push(player);
      else missingIds.push(id);
    }
    return { players, missingIds };
  }

  stats(id: string): PlayerStats | undefined {
    const stats = this.statistics.get(id);
    return stats && { ...stats };
  }
}
