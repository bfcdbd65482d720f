import type { playerV1, tableV1 } from '@portico/contracts';
import type { TableView } from '../aggregate.schema.js';

/** Merges a table with whatever player names are known; an unknown name stays null rather than failing the table. */
export function tableView(table: tableV1.Table, names: ReadonlyMap<string, string>): TableView {
  return {
    id: table.id,
    name: table.name,
    game: table.game,
    stakes: table.stakes,
    capacity: table.capacity,
    openSeats: Math.max(0, table.capacity - table.seatedPlayerIds.length),
    seats: table.seatedPlayerIds.map((playerId) => ({ playerId, displayName: names.get(playerId) ?? null })),
  };
}

export function namesOf(players: readonly playerV1.Player[] | undefined): Map<string, string> {
  return new Map((players ?? []).map((player) => [player.id, player.displayName]));
}
