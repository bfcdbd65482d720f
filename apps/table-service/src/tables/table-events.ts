import { Inject, Injectable, Logger } from '@nestjs/common';
import { realtimeChannels, type PorticoRealtimeEvents, type tableV1 } from '@portico/contracts';
import { RedisRealtimePublisher } from '@portico/realtime-publisher';
import { REDIS } from '@portico/redis';
import type { Redis } from 'ioredis';

/**
 * Tells the sockets watching a table (and the lobby) what changed, through every gateway instance.
 * Without REDIS_URL there is nobody to tell: the in-memory gateway announces the changes it served.
 * A failed publish never fails the change itself; the next one carries the whole table again.
 */
@Injectable()
export class TableEvents {
  private readonly logger = new Logger(TableEvents.name);
  private readonly publisher: RedisRealtimePublisher<PorticoRealtimeEvents> | undefined;

  constructor(@Inject(REDIS) redis: Redis | undefined) {
    this.publisher = redis && new RedisRealtimePublisher<PorticoRealtimeEvents>(redis);
  }

  tableUpdated(table: tableV1.Table): void {
    this.send(realtimeChannels.table(table.id), 'table.updated', { table });
    this.send(realtimeChannels.lobby, 'table.updated', { table });
  }

  chatPosted(message: tableV1.ChatMessage): void {
    this.send(realtimeChannels.table(message.tableId), 'table.chat', { message });
  }

  private send<E extends keyof PorticoRealtimeEvents>(channel: string, event: E, data: PorticoRealtimeEvents[E]): void {
    this.publisher?.publish(channel, event, data).catch((error: unknown) => {
      this.logger.warn({ err: error, channel, event }, 'realtime event not published');
    });
  }
}
