import type { FactoryProvider, ModuleMetadata } from '@nestjs/common';
import type { RateLimitOptions } from '@portico/rate-limit';
import type { ServerOptions } from 'socket.io';
import type { ChannelRule } from './channel-rule.js';
import type { MessageRule } from './message-rule.js';
import type { SessionObserver } from './session-observer.js';

export const REALTIME_NAMESPACE = '/realtime';

export interface RealtimeOptions {
  /** This process among the gateway instances. */
  instanceId: string;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /** Long-polling needs sticky sessions behind a load balancer; websocket only unless asked. */
  allowPolling: boolean;
  /** Largest message a client may send; larger ones close the connection. */
  maxPayloadBytes: number;
  /** Sockets one user may hold open across every instance. */
  maxConnectionsPerUser: number;
  /** Client messages per connection and per user (the user's budget is shared through Redis). */
  messageLimits: { perConnection: RateLimitOptions; perUser: RateLimitOptions };
  /** How long an instance's presence entries outlive its last heartbeat (a crashed instance's users go offline then). */
  presenceTtlMs: number;
  /** socket.io's CORS option; undefined means same-origin only. */
  cors?: ServerOptions['cors'];
  /**
   * Decides each handshake before the namespace sees it. Browsers apply no CORS to WebSocket
   * handshakes, so this is where a cross-site socket opened with a user's cookies is refused.
   */
  allowRequest?: ServerOptions['allowRequest'];
}

export interface RealtimeRules {
  channels: readonly ChannelRule[];
  messages: readonly MessageRule[];
}

export const REALTIME_OPTIONS = Symbol('REALTIME_OPTIONS');
export const REALTIME_RULES = Symbol('REALTIME_RULES');

export interface RealtimeModuleOptions {
  options: RealtimeOptions;
  /** The app's channel and message rules; a factory, because message handlers call the app's backends. */
  rules: Omit<FactoryProvider<RealtimeRules>, 'provide'>;
  /** Modules whose providers the rules and the session observer inject. */
  imports?: ModuleMetadata['imports'];
  /** Replaces the no-op session observer (analytics). */
  sessionObserver?: Omit<FactoryProvider<SessionObserver>, 'provide'>;
}
