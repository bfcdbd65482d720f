import { Injectable } from '@nestjs/common';
import { Aggregation, withScope, type RequestScope } from '@portico/aggregation';
import { PlayerBackend } from '../backends/player-backend.js';
import { TableBackend } from '../backends/table-backend.js';
import { SourceDeadlines } from '../source-deadlines.js';
import type { Me } from './me.schema.js';

/** The caller's profile (required), statistics and tables (both optional), fetched in parallel. */
@Injectable()
export class GetMe {
  constructor(
    private readonly players: PlayerBackend,
    private readonly tables: TableBackend,
    private readonly deadlines: SourceDeadlines,
  ) {}

  async execute(playerId: string, scope: RequestScope): Promise<Me> {
    const aggregation = new Aggregation({ signal: scope.signal });
    const [player, stats, tables] = await Promise.all([
      aggregation.required('player', (call) => this.players.getPlayer(playerId, withScope(call, scope)), {
        deadlineMs: this.deadlines.requiredMs,
      }),
      aggregation.optional('stats', (call) => this.players.getStats(playerId, withScope(call, scope)), {
        deadlineMs: this.deadlines.optionalMs,
      }),
      aggregation.optional('tables', (call) => this.tables.listTables(withScope(call, scope)), {
        deadlineMs: this.deadlines.optionalMs,
      }),
    ]);
    return aggregation.complete({
      player: { id: player.id, displayName: player.displayName, country: player.country, avatarUrl: player.avatarUrl },
      stats: stats ? { gamesPlayed: stats.gamesPlayed, wins: stats.wins, losses: stats.losses, rating: stats.rating, chips: stats.chips } : null,
      tables: tables
        ? tables.filter((table) => table.seatedPlayerIds.includes(playerId)).map(({ id, name }) => ({ id, name }))
        : null,
    });
  }
}
