import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { REALTIME_TOPIC, type RealtimeEnvelope } from './realtime-envelope.js';

/** Publishes server → client events, typed by an event map such as `{ 'table.updated': { table: Table } }`. */
export interface RealtimePublisher<Events extends object> {
  publish<E extends keyof Events & string>(channel: string, event: E, data: Events[E]): Promise<void>;
}

export function envelopeOf(channel: string, event: string, data: unknown): RealtimeEnvelope {
  return { id: randomUUID(), channel, event, data, publishedAt: Date.now() };
}

/**
 * Publishes on Redis pub/sub, where every gateway instance listens. Deliberately free of socket.io:
 * a backend service only needs ioredis to reach the sockets. Pub/sub is fire-and-forget, as the
 * events are: each carries the whole new state, so a client that missed one reads the resource again.
 */
export class RedisRealtimePublisher<Events extends object> implements RealtimePublisher<Events> {
  constructor(
    private readonly redis: Redis,
    private readonly topic: string = REALTIME_TOPIC,
  ) {}

  async publish<E extends keyof Events & string>(channel: string, event: E, data: Events[E]): Promise<void> {
    await this.redis.publish(this.topic, JSON.stringify(envelopeOf(channel, event, data)));
  }
}
