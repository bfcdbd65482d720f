import { randomUUID } from 'node:crypto';
import { Controller } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { status, type Metadata } from '@grpc/grpc-js';
import { CacheInvalidator } from '@portico/cache';
import type { tableV1 } from '@portico/contracts';
import { IDENTITY_METADATA } from '@portico/grpc';
import { TableEvents } from './table-events.js';
import { TableFullError, UnknownTableError } from './table-errors.js';
import { TableRegistry } from './table-registry.js';

const LONGEST_CHAT_MESSAGE = 500;

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
    private readonly events: TableEvents,
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
    // Invalidated before the event goes out, so a client that re-reads on the event sees the change.
    await this.invalidator.invalidateTags(TABLE_TAGS);
    this.events.tableUpdated(table);
    return table;
  }

  @GrpcMethod('TableService', 'LeaveTable')
  async leaveTable(request: tableV1.LeaveTableRequest): Promise<tableV1.Table> {
    const tableId = validId('table_id', request.tableId);
    const playerId = validId('player_id', request.playerId);
    const table = translated(() => this.registry.leave(tableId, playerId));
    await this.invalidator.invalidateTags(TABLE_TAGS);
    this.events.tableUpdated(table);
    return table;
  }

  /** The poster is whoever the gateway authenticated: only the gateway reaches this service. */
  @GrpcMethod('TableService', 'PostChatMessage')
  postChatMessage(request: tableV1.PostChatMessageRequest, metadata: Metadata): tableV1.ChatMessage {
    const playerId = metadata.get(IDENTITY_METADATA)[0]?.toString();
    if (playerId === undefined) throw new RpcException({ code: status.UNAUTHENTICATED, message: `${IDENTITY_METADATA} metadata is required` });
    const tableId = validId('table_id', request.tableId);
    if (request.text.length === 0 || request.text.length > LONGEST_CHAT_MESSAGE) {
      throw new RpcException({ code: status.INVALID_ARGUMENT, message: `text must be 1-${LONGEST_CHAT_MESSAGE} characters` });
    }
    if (!this.registry.get(tableId)) throw asRpcError(new UnknownTableError(tableId));
    const message: tableV1.ChatMessage = { id: randomUUID(), tableId, playerId, text: request.text, sentAtMs: Date.now() };
    this.events.chatPosted(message);
    return message;
  }
}
