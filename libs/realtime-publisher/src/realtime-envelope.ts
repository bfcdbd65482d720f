/** The Redis pub/sub channel every gateway instance subscribes to; services publish their events here. */
export const REALTIME_TOPIC = 'portico:realtime';

/** One server → client event on its way from a publisher to the gateway instances. */
export interface RealtimeEnvelope {
  /** Unique per publish, so a consumer can tell one event from another in logs. */
  id: string;
  /** The socket channel (room) whose subscribers receive it, e.g. `table:t1` or `lobby`. */
  channel: string;
  event: string;
  data: unknown;
  /** Epoch milliseconds at publish; the gateway measures delivery latency from it. */
  publishedAt: number;
}

/** The envelope in a published message, or undefined when the message is not one (another publisher's noise). */
export function decodeEnvelope(message: string): RealtimeEnvelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, channel, event, data, publishedAt } = value as Record<string, unknown>;
  if (typeof id !== 'string' || typeof channel !== 'string' || typeof event !== 'string' || typeof publishedAt !== 'number') return undefined;
  return { id, channel, event, data, publishedAt };
}
