import { Inject, Injectable } from '@nestjs/common';
import { realtimeChannels, type tableV1 } from '@portico/contracts';
import { REALTIME_BUS, type RealtimeBus } from '@portico/realtime';

/**
 * Announces the table changes this gateway served when there is no Redis (the in-memory demo). With
 * Redis, table-service publishes every change itself, so the gateway stays quiet: no event twice.
 */
@Injectable()
export class LocalTableEvents {
  constructor(@Inject(REALTIME_BUS) private readonly bus: RealtimeBus) {}

  async tableUpdated(table: tableV1.Table): Promise<void> {
    if (this.bus.shared) return;
    await this.bus.publish(realtimeChannels.table(table.id), 'table.updated', { table });
    await this.bus.publish(realtimeChannels.lobby, 'table.updated', { table });
  }

  async chatPosted(message: tableV1.ChatMessage): Promise<void> {
    if (this.bus.shared) return;
    await this.bus.publish(realtimeChannels.table(message.tableId), 'table.chat', { message });
  }
}
