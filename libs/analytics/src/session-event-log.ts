import type { SessionObserver, SocketSession } from '@portico/realtime';

/**
 * The analytics side of the socket hub: records every session's start and end. Injected by this class;
 * Redis-backed when REDIS_URL is set, in-process otherwise.
 */
export abstract class SessionEventLog implements SessionObserver {
  abstract started(session: SocketSession): void;
  abstract ended(session: SocketSession, reason: string, durationMs: number): void;
}
