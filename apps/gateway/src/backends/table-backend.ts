import type { tableV1 } from '@portico/contracts';
import type { CallContext, GrpcServicePool, MethodSelector } from '@portico/grpc';

type Client = tableV1.TableServiceClient;

// Selectors are module constants, so each channel binds every method once, not once per call.
const listTables: MethodSelector<Client, tableV1.ListTablesRequest, tableV1.ListTablesResponse> = (client) => client.listTables.bind(client);
const getTable: MethodSelector<Client, tableV1.GetTableRequest, tableV1.Table> = (client) => client.getTable.bind(client);
const joinTable: MethodSelector<Client, tableV1.JoinTableRequest, tableV1.Table> = (client) => client.joinTable.bind(client);
const leaveTable: MethodSelector<Client, tableV1.LeaveTableRequest, tableV1.Table> = (client) => client.leaveTable.bind(client);
const postChatMessage: MethodSelector<Client, tableV1.PostChatMessageRequest, tableV1.ChatMessage> = (client) =>
  client.postChatMessage.bind(client);

/** Reads may move to another instance when one is unavailable; joins and leaves never run twice. */
const READ = { idempotent: true } as const;

/** The gateway's typed, promise-based view of table-service, over every discovered instance. */
export class TableBackend {
  constructor(private readonly pool: GrpcServicePool<Client>) {}

  async listTables(context: CallContext): Promise<tableV1.Table[]> {
    const response = await this.pool.call(listTables, {}, context, READ);
    return response.tables;
  }

  getTable(tableId: string, context: CallContext): Promise<tableV1.Table> {
    return this.pool.call(getTable, { tableId }, context, READ);
  }

  joinTable(tableId: string, playerId: string, context: CallContext): Promise<tableV1.Table> {
    return this.pool.call(joinTable, { tableId, playerId }, context);
  }

  leaveTable(tableId: string, playerId: string, context: CallContext): Promise<tableV1.Table> {
    return this.pool.call(leaveTable, { tableId, playerId }, context);
  }

  /** `context.metadata` must name the poster (IDENTITY_METADATA). */
  postChatMessage(tableId: string, text: string, context: CallContext): Promise<tableV1.ChatMessage> {
    return this.pool.call(postChatMessage, { tableId, text }, context);
  }
}
