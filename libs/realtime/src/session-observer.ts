/** One socket session, as analytics sees it. `instanceId` is unique per process lifetime. */
export interface SocketSession {
  sessionId: string;
  userId: string;
  clientType: string;
  instanceId: string;
  /** Epoch milliseconds. */
  startedAt: number;
}

/**
 * Learns of every socket session's start and end; the default does nothing. Fire-and-forget:
 * implementations never throw into the caller and never block it.
 */
export interface SessionObserver {
  started(session: SocketSession): void;
  ended(session: SocketSession, reason: string, durationMs: number): void;
}

export const SESSION_OBSERVER = Symbol('SESSION_OBSERVER');

export const NO_SESSION_OBSERVER: SessionObserver = { started: () => undefined, ended: () => undefined };

const CLIENT_TYPE = /^[a-z0-9_-]{1,32}$/i;

/** `auth.clientType` when the client names itself sensibly, else a guess from the user agent. */
export function clientTypeOf(declared: unknown, userAgent: string | undefined): string {
  if (typeof declared === 'string' && CLIENT_TYPE.test(declared)) return declared.toLowerCase();
  if (userAgent === undefined) return 'unknown';
  if (/android/i.test(userAgent)) return 'android';
  if (/iphone|ipad|ios|cfnetwork/i.test(userAgent)) return 'ios';
  if (/mozilla/i.test(userAgent)) return 'web';
  return 'unknown';
}
