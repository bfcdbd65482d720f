import { type tableV1 } from '@portico/contracts';
import type { OnApplicationShutdown } from '@nestjs/common';
import { unaryCall, type CallContext } from '@portico/grpc';

/** The gateway's typed, promise-based view of table-service. */
export class TableBackend implements OnApplicationShutdown {
  constructor(private readonly client: tableV1.TableServiceClient) {}

  async listTables(context: CallContext): Promise<tableV1.Table[]> {
    const response = await unaryCall(this.client.listTables.bind(this.client), {}, context);
    return response.tables;
  }

  getTable(tableId: string, context: CallContext): Promise<tableV1.Table> {
    return unaryCall(this.client.getTable.bind(this.client), { tableId }, context);
  }

  joinTable(tableId: string, playerId: string, context: CallContext): Promise<tableV1.Table> {
    return unaryCall(this.client.joinTable.bind(this.client), { tableId, playerId }, context);
  }

  leaveTable(tableId: string, playerId: string, context: CallContext): Promise<tableV1.Table> {
    return unaryCall(this.client.leaveTable.bind(this.client), { tableId, playerId }, context);
  }

  onApplicationShutdown(): void {
    this.client.close();
  }
}
