import { Inject, Injectable } from '@nestjs/common';
import { Aggregation, withScope, type RequestScope } from '@portico/aggregation';
import { PRESENCE_REGISTRY, type PresenceRegistry } from '@portico/realtime';
import { PlayerBackend } from '../backends/player-backend.js';
import { TableBackend } from '../backends/table-backend.js';
import { SourceDeadlines } from '../source-deadlines.js';
import { namesOf, tableView } from '../tables/table-view.js';
import type { Lobby } from './lobby.schema.js';

/** Every table with its seated players' names; names are optional, the tables are not. */
@Injectable()
export class GetLobby {
  constructor(
    private readonly tables: TableBackend,
    private readonly players: PlayerBackend,
    private readonly deadlines: SourceDeadlines,
    @Inject(PRESENCE_REGISTRY) private readonly presence: PresenceRegistry,
  ) {}

  async execute(scope: RequestScope): Promise<Lobby> {
    const aggregation = new Aggregation({ signal: scope.signal });
    const tables = await aggregation.required(
      'tables',
      (call) => this.tables.listTables(withScope(call, scope)),
      { deadlineMs: this.deadlines.requiredMs },
    );
    const seated = [...new Set(tables.flatMap((table) => table.seatedPlayerIds))];
    const [players, online] = await Promise.all([
      seated.length === 0
        ? undefined
        : aggregation.optional('players', (call) => this.players.batchGetPlayers(seated, withScope(call, scope)), {
            deadlineMs: this.deadlines.optionalMs,
          }),
      // Optional like the names: a Redis outage costs the count, not the lobby.
      aggregation.optional('presence', () => this.presence.online(), { deadlineMs: this.deadlines.optionalMs }),
    ]);
    const names = namesOf(players?.players);
    return aggregation.complete({ tables: tables.map((table) => tableView(table, names)), ...(online !== undefined && { online }) });
  }
}
