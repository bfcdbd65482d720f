import { milliseconds } from '@portico/config';
import { z } from 'zod';

/** Environment fields the gateway (emitting side) and the analytics worker must agree on. */
export const analyticsStreamFields = {
  /** Redis stream of session events; every other analytics key is derived from it. */
  ANALYTICS_STREAM: z.string().min(1).max(200).default('portico:analytics'),
  /** Approximate MAXLEN of the stream (XADD MAXLEN ~): docs/analytics.md explains the trade-off. */
  ANALYTICS_STREAM_MAXLEN: z.coerce.number().int().min(1_000).default(1_000_000),
  /** An emitting instance is dead once its heartbeat is older than this; it heartbeats every third of it. */
  ANALYTICS_INSTANCE_TTL_MS: milliseconds(15_000).pipe(z.number().min(300)),
};
