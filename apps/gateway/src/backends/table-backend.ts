import type { OnApplicationShutdown } from '@nestjs/common';
import type { tableV1 } from '@portico/contracts';
import type { CallContext, GrpcUpstream } from '@portico/grpc';

/** The gateway's typed, promise-based view of table-service. */
export class TableBackend implements OnApplicationShutdown {
  // Bound once here rather than per call: these run on every request.
  private readonly rpc;

  constructor(private readonly upstream: GrpcUpstream<tableV1.TableServiceClient>) {
    const { client } = upstream;
    this.rpc = {
      listTables: client.listTables.bind(client),
      getTable: client.getTable.bind(client),
      joinTable: client.joinTable.bind(client),
      leaveTable: client.leaveTable.bind(client),
    };
  }

  async listTables(context: CallContext): Promise<tableV1.Table[]> {
    const response = await this.upstream.call(this.rpc.listTables, {}, context);
    return response.tables;
  }

  getTable(tableId: string, context: CallContext): Promise<tableV1.Table> {
    return this.upstream.call(this.rpc.getTable, { tableId }, context);
  }

  joinTable(tableId: string, playerId: string, context: CallContext): Promise<tableV1.Table> {
    return this.upstream.call(this.rpc.joinTable, { tableId, playerId }, context);
  }

  leaveTable(tableId: string, playerId: string, context: CallContext): Promise<tableV1.Table> {
    return this.upstream.call(this.rpc.leaveTable, { tableId, playerId }, context);
  }

  onApplicationShutdown(): void {
    this.upstream.close();
  }
}
