import { Controller } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import { CacheInvalidator } from '@portico/cache';
import type { tableV1 } from '@portico/contracts';
import { TableFullError, UnknownTableError } from './table-errors.js';
import { TableRegistry } from './table-registry.js';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

function validId(field: string, id: string): string {
  if (!ID.test(id)) throw new RpcException({ code: status.INVALID_ARGUMENT, message: `${field} must match ${ID.source}` });
  return id;
}

/** Domain errors become the gRPC statuses the proto documents. */
function asRpcError(error: unknown): unknown {
  if (error instanceof UnknownTableError) return new RpcException({ code: status.NOT_FOUND, message: error.message });
  if (error instanceof TableFullError) return new RpcException({ code: status.FAILED_PRECONDITION, message: error.message });
  return error;
}

function translated<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw asRpcError(error);
  }
}

/** Gateway cache entries built from table data; every seat change makes them outdated. */
const TABLE_TAGS = ['tables'];

@Controller()
export class TableController {
  constructor(
    private readonly registry: TableRegistry,
    private readonly invalidator: CacheInvalidator,
  ) {}

  @GrpcMethod('TableService', 'ListTables')
  listTables(): tableV1.ListTablesResponse {
    return { tables: this.registry.list() };
  }

  @GrpcMethod('TableService', 'GetTable')
  getTable(request: tableV1.GetTableRequest): tableV1.Table {
    const table = this.registry.get(validId('table_id', request.tableId));
    if (!table) throw asRpcError(new UnknownTableError(request.tableId));
    return table;
  }

  // Invalidated before the reply: a client that writes and then reads never gets the cached answer from before.
  @GrpcMethod('TableService', 'JoinTable')
  async joinTable(request: tableV1.JoinTableRequest): Promise<tableV1.Table> {
    const tableId = validId('table_id', request.tableId);
    const playerId = validId('player_id', request.playerId);
    const table = translated(() => this.registry.join(tableId, playerId));
    await this.invalidator.invalidateTags(TABLE_TAGS);
    return table;
  }

  @GrpcMethod('TableService', 'LeaveTable')
  async leaveTable(request: tableV1.LeaveTableRequest): Promise<tableV1.Table> {
    const tableId = validId('table_id', request.tableId);
    const playerId = validId('player_id', request.playerId);
    const table = translated(() => this.registry.leave(tableId, playerId));
    await this.invalidator.invalidateTags(TABLE_TAGS);
    return table;
  }
}
