import { Injectable } from '@nestjs/common';
import { Aggregation, withScope, type RequestScope } from '@portico/aggregation';
import type { tableV1 } from '@portico/contracts';
import type { CallContext } from '@portico/grpc';
import { PlayerBackend } from '../backends/player-backend.js';
import { TableBackend } from '../backends/table-backend.js';
import { LocalTableEvents } from '../realtime/local-table-events.js';
import { SourceDeadlines } from '../source-deadlines.js';
import type { TableDetail } from './table.schema.js';
import { namesOf, tableView } from './table-view.js';

type TableCall = (context: CallContext) => Promise<tableV1.Table>;

/** A table (required) with its seated players' names (optional); shared by reads and by join/leave answers. */
@Injectable()
export class TableDetailAssembler {
  constructor(
    private readonly players: PlayerBackend,
    private readonly deadlines: SourceDeadlines,
  ) {}

  async assemble(scope: RequestScope, fetchTable: TableCall): Promise<TableDetail> {
    const aggregation = new Aggregation({ signal: scope.signal });
    const table = await aggregation.required('table', (call) => fetchTable(withScope(call, scope)), {
      deadlineMs: this.deadlines.requiredMs,
    });
    const players =
      table.seatedPlayerIds.length === 0
        ? undefined
        : await aggregation.optional(
            'players',
            (call) => this.players.batchGetPlayers(table.seatedPlayerIds, withScope(call, scope)),
            { deadlineMs: this.deadlines.optionalMs },
          );
    return aggregation.complete({ table: tableView(table, namesOf(players?.players)) });
  }
}

@Injectable()
export class GetTable {
  constructor(
    private readonly tables: TableBackend,
    private readonly detail: TableDetailAssembler,
  ) {}

  execute(tableId: string, scope: RequestScope): Promise<TableDetail> {
    return this.detail.assemble(scope, (call) => this.tables.getTable(tableId, call));
  }
}

@Injectable()
export class JoinTable {
  constructor(
    private readonly tables: TableBackend,
    private readonly detail: TableDetailAssembler,
    private readonly events: LocalTableEvents,
  ) {}

  async execute(tableId: string, playerId: string, scope: RequestScope): Promise<TableDetail> {
    let changed: tableV1.Table | undefined;
    const detail = await this.detail.assemble(scope, async (call) => (changed = await this.tables.joinTable(tableId, playerId, call)));
    if (changed) await this.events.tableUpdated(changed);
    return detail;
  }
}

@Injectable()
export class LeaveTable {
  constructor(
    private readonly tables: TableBackend,
    private readonly detail: TableDetailAssembler,
    private readonly events: LocalTableEvents,
  ) {}

  async execute(tableId: string, playerId: string, scope: RequestScope): Promise<TableDetail> {
    let changed: tableV1.Table | undefined;
    const detail = await this.detail.assemble(scope, async (call) => (changed = await this.tables.leaveTable(tableId, playerId, call)));
    if (changed) await this.events.tableUpdated(changed);
    return detail;
  }
}
