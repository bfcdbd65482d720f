import { randomUUID } from 'node:crypto';
import type { SocketSession } from '@portico/realtime';
import { z } from 'zod';

/** The reason the sweeper records for sessions of an instance that stopped heartbeating. */
export const INSTANCE_LOST = 'instance_lost';

// Client types come from the client's handshake: anything outside this shape would let a client
// create arbitrary aggregate keys, so it is counted as `unknown`.
const CLIENT_TYPE = /^[a-z0-9][a-z0-9._-]{0,31}$/;

export function normalizeClientType(value: string): string {
  const lower = value.trim().toLowerCase();
  return CLIENT_TYPE.test(lower) ? lower : 'unknown';
}

const identity = {
  eventId: z.string().min(1).max(200),
  userId: z.string().max(200),
  sessionId: z.string().min(1).max(200),
  clientType: z.string().regex(CLIENT_TYPE),
  instanceId: z.string().min(1).max(200),
  /** Epoch milliseconds: when the session started (SESSION_STARTED) or ended (SESSION_ENDED). */
  timestamp: z.number().int().min(0),
};

/** The JSON held in the `event` field of every stream entry (docs/analytics.md). */
export const SessionEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('SESSION_STARTED'), ...identity }),
  z.object({
    type: z.literal('SESSION_ENDED'),
    ...identity,
    durationMs: z.number().int().min(0),
    reason: z.string().min(1).max(200),
  }),
]);

export type SessionEvent = z.infer<typeof SessionEventSchema>;

function identityOf(session: SocketSession) {
  return {
    eventId: randomUUID(),
    userId: session.userId,
    sessionId: session.sessionId,
    clientType: normalizeClientType(session.clientType),
    instanceId: session.instanceId,
  };
}

export function sessionStarted(session: SocketSession): SessionEvent {
  return { type: 'SESSION_STARTED', ...identityOf(session), timestamp: session.startedAt };
}

/** Stamped at the session's start plus its duration: when it ended, by the clock that started it. */
export function sessionEnded(session: SocketSession, reason: string, durationMs: number): SessionEvent {
  const duration = Math.max(0, Math.round(durationMs));
  return {
    type: 'SESSION_ENDED',
    ...identityOf(session),
    timestamp: session.startedAt + duration,
    durationMs: duration,
    reason: reason.slice(0, 200) || 'unknown',
  };
}

/** Parses one entry's `event` field; undefined when it is not a session event (it is then skipped, never retried). */
export function parseSessionEvent(json: string): SessionEvent | undefined {
  try {
    const result = SessionEventSchema.safeParse(JSON.parse(json));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/** The UTC day (YYYY-MM-DD) an epoch-ms timestamp falls on: aggregates are kept per day. */
export function utcDay(timestamp: number): string {
  return new Date(timestamp).toISOString().slice(0, 10);
}
