import type { tableV1 } from '@portico/contracts';
import { TableFullError, UnknownTableError } from './table-errors.js';

type Table = tableV1.Table;

const DEMO_TABLES: readonly Table[] = [
  { id: 't1', name: 'Main Street', game: 'holdem', stakes: '1/2', capacity: 6, seatedPlayerIds: ['p1', 'p2'] },
  { id: 't2', name: 'Omaha Corner', game: 'omaha', stakes: '2/5', capacity: 4, seatedPlayerIds: ['p3'] },
  { id: 't3', name: 'Heads-Up Duel', game: 'holdem', stakes: '5/10', capacity: 2, seatedPlayerIds: ['p4', 'p5'] },
  { id: 't4', name: 'Full Ring Classic', game: 'holdem', stakes: '1/2', capacity: 9, seatedPlayerIds: [] },
  { id: 't5', name: 'Short Deck Lounge', game: 'shortdeck', stakes: '10/20', capacity: 6, seatedPlayerIds: ['p6'] },
];

function copyOf(table: Table): Table {
  return { ...table, seatedPlayerIds: [...table.seatedPlayerIds] };
}

/** The demo tables t1…t5 and who is seated at them; callers only ever receive copies. */
export class TableRegistry {
  private readonly tables = new Map(DEMO_TABLES.map((table) => [table.id, copyOf(table)]));

  list(): Table[] {
    return [...this.tables.values()].map(copyOf);
  }

  get(id: string): Table | undefined {
    const table = this.tables.get(id);
    return table && copyOf(table);
  }

  /** Seats the player; a player already seated keeps the seat, even at a full table. */
  join(tableId: string, playerId: string): Table {
    const table = this.existing(tableId);
    if (!table.seatedPlayerIds.includes(playerId)) {
      if (table.seatedPlayerIds.length >= table.capacity) throw new TableFullError(tableId, table.capacity);
      table.seatedPlayerIds.push(playerId);
    }
    return copyOf(table);
  }

  /** Unseats the player; leaving a table the player is not seated at changes nothing. */
  leave(tableId: string, playerId: string): Table {
    const table = this.existing(tableId);
    table.seatedPlayerIds = table.seatedPlayerIds.filter((seated) => seated !== playerId);
    return copyOf(table);
  }

  private existing(tableId: string): Table {
    const table = this.tables.get(tableId);
    if (!table) throw new UnknownTableError(tableId);
    return table;
  }
}
