import { Logger } from '@nestjs/common';
import { decodeEnvelope, envelopeOf, REALTIME_TOPIC, type RealtimeEnvelope, type RealtimePublisher } from '@portico/realtime-publisher';
import { closeConnection } from '@portico/redis';
import type { Redis } from 'ioredis';

type Listener = (envelope: RealtimeEnvelope) => void;

/** Carries server → client events to this instance's sockets; also a publisher for the gateway's own events. */
export interface RealtimeBus extends RealtimePublisher<Record<string, unknown>> {
  /** True when events come from every process through Redis, false when only this process publishes. */
  readonly shared: boolean;
  listen(listener: Listener): Promise<void>;
  close(): Promise<void>;
}

/** Without Redis, the gateway itself is the only publisher: events stay in the process. */
export class InProcessRealtimeBus implements RealtimeBus {
  readonly shared = false;
  private listener: Listener | undefined;

  publish(channel: string, event: string, data: unknown): Promise<void> {
    this.listener?.(envelopeOf(channel, event, data));
    return Promise.resolve();
  }

  listen(listener: Listener): Promise<void> {
    this.listener = listener;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.listener = undefined;
    return Promise.resolve();
  }
}

/** Every instance subscribes to the one topic and hands each event to its local sockets. */
export class RedisRealtimeBus implements RealtimeBus {
  readonly shared = true;
  private readonly logger = new Logger('realtime-bus');
  private subscriber: Redis | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly topic: string = REALTIME_TOPIC,
  ) {}

  async publish(channel: string, event: string, data: unknown): Promise<void> {
    await this.redis.publish(this.topic, JSON.stringify(envelopeOf(channel, event, data)));
  }

  async listen(listener: Listener): Promise<void> {
    // A subscribed connection can do nothing else; it queues while Redis is away and resubscribes on reconnect.
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
    subscriber.on('error', () => undefined);
    this.subscriber = subscriber;
    subscriber.on('message', (_topic: string, message: string) => {
      const envelope = decodeEnvelope(message);
      if (envelope) listener(envelope);
      else this.logger.warn({ topic: this.topic }, 'ignored a message that is not a realtime envelope');
    });
    await subscriber.subscribe(this.topic);
  }

  async close(): Promise<void> {
    if (this.subscriber) await closeConnection(this.subscriber);
  }
}
