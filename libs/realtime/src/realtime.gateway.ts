import { randomUUID } from 'node:crypto';
import { Inject, Logger, UseFilters, type OnModuleDestroy } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
  type OnGatewayInit,
} from '@nestjs/websockets';
import { Public, TokenVerifier, type Principal } from '@portico/auth';
import { ProblemException, toProblemResponse } from '@portico/errors';
import { compilePolicy, RATE_LIMIT_STORE, type RateLimitPolicy, type RateLimitStore } from '@portico/rate-limit';
import type { RealtimeEnvelope } from '@portico/realtime-publisher';
import type { Namespace, Socket } from 'socket.io';
import { z } from 'zod';
import { ChannelRules, channelPattern, type ChannelMatch } from './channel-rule.js';
import type { MessageRule } from './message-rule.js';
import type { PresenceRegistry } from './presence-registry.js';
import type { RealtimeBus } from './realtime-bus.js';
import { REALTIME_NAMESPACE, REALTIME_OPTIONS, REALTIME_RULES, type RealtimeOptions, type RealtimeRules } from './realtime-options.js';
import { RealtimeMetrics } from './realtime.metrics.js';
import { clientTypeOf, SESSION_OBSERVER, type SessionObserver, type SocketSession } from './session-observer.js';
import { WsProblemFilter } from './ws-problem.filter.js';
import { SettleWindow } from './settle-window.js';

export const PRESENCE_REGISTRY = Symbol('PRESENCE_REGISTRY');
export const REALTIME_BUS = Symbol('REALTIME_BUS');

/** The channel every authenticated socket may join; presence changes are announced there. */
export const LOBBY_CHANNEL = 'lobby';

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;
// setTimeout's longest delay; a token valid for longer is looked at again when it fires.
const LONGEST_TIMER_MS = 2_147_483_647;
const PRESENCE_CHANGED = 'presence:changed';
// Changes within this window are announced once: a storm of 1,000 connects a second would otherwise
// cost a count over every instance's users and a message to every other instance, per connect.
const PRESENCE_SETTLE_MS = 100;

const SubscriptionRequest = z.object({ channel: z.string().min(1).max(256) }).strict();
const MessageRequest = z.object({ channel: z.string().min(1).max(256), event: z.string().min(1).max(64), data: z.unknown() }).strict();

export interface Ack {
  ok: true;
  result?: unknown;
}

interface SocketState {
  principal: Principal;
  session: SocketSession;
  /** Set when the server ends the session, so the disconnect is recorded with the server's reason. */
  endReason?: string;
  expiry?: NodeJS.Timeout;
}

function stateOf(socket: Socket): SocketState {
  return socket.data as SocketState;
}

function badRequest(detail: string): ProblemException {
  return new ProblemException({ status: 400, slug: 'bad-request', title: 'Bad request', detail });
}

function parsed<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw badRequest(`malformed payload: ${z.prettifyError(result.error).replaceAll('\n', '; ')}`);
  return result.data;
}

/** The socket.io `connect_error` a refused handshake gets: the problem's detail and the problem itself. */
function handshakeError(problem: ProblemException): Error {
  const { problem: details } = toProblemResponse(problem, { requestId: randomUUID(), instance: REALTIME_NAMESPACE });
  return Object.assign(new Error(details.detail ?? details.title), { data: details });
}

function authFailureReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TokenExpiredError') return 'expired';
  return 'invalid';
}

/**
 * The `/realtime` namespace: authenticates the handshake with the REST code, lets sockets subscribe
 * to the channels the app's rules allow, forwards client messages to the app's handlers, and
 * delivers every published event to this instance's subscribers.
 */
// Sockets authenticate once, at the handshake; the REST guard has no bearer header to read per message.
@Public()
@WebSocketGateway({ namespace: REALTIME_NAMESPACE })
@UseFilters(new WsProblemFilter())
export class RealtimeGateway implements OnGatewayInit<Namespace>, OnGatewayConnection<Socket>, OnModuleDestroy {
  @WebSocketServer() private readonly namespace!: Namespace;
  private readonly logger = new Logger('realtime');
  private readonly channels: ChannelRules;
  private readonly messages: Map<string, { rule: MessageRule; params: (channel: string) => Record<string, string> | undefined }>;
  private readonly perConnection: RateLimitPolicy;
  private readonly perUser: RateLimitPolicy;
  private draining = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private presenceRefresh: Promise<void> | undefined;
  private presenceStale = false;
  private readonly presenceChanges = new SettleWindow(PRESENCE_SETTLE_MS, () => {
    this.refreshPresence();
    if (this.bus.shared) this.namespace.serverSideEmit(PRESENCE_CHANGED);
  });
  private announcedOnline: number | undefined;

  constructor(
    private readonly verifier: TokenVerifier,
    @Inject(REALTIME_OPTIONS) private readonly options: RealtimeOptions,
    @Inject(REALTIME_RULES) rules: RealtimeRules,
    @Inject(PRESENCE_REGISTRY) private readonly presence: PresenceRegistry,
    @Inject(REALTIME_BUS) private readonly bus: RealtimeBus,
    @Inject(SESSION_OBSERVER) private readonly observer: SessionObserver,
    @Inject(RATE_LIMIT_STORE) private readonly limits: RateLimitStore,
    private readonly metrics: RealtimeMetrics,
  ) {
    this.channels = new ChannelRules(rules.channels);
    this.messages = new Map(rules.messages.map((rule) => [rule.event, { rule, params: channelPattern(rule.channel) }]));
    this.perConnection = compilePolicy(options.messageLimits.perConnection, 'realtime-connection');
    this.perUser = compilePolicy(options.messageLimits.perUser, 'realtime-user');
  }

  afterInit(namespace: Namespace): void {
    namespace.use((socket, next) => {
      this.handshake(socket).then(
        () => next(),
        (error: unknown) => {
          if (!(error instanceof ProblemException)) {
            this.metrics.refusals.inc({ reason: 'unavailable' });
            this.logger.warn({ err: error }, 'realtime handshake failed');
          }
          next(handshakeError(error instanceof ProblemException ? error : unavailable()));
        },
      );
    });
    // Another instance saw a user come or go: the count every lobby shows may have changed.
    namespace.on(PRESENCE_CHANGED, () => this.refreshPresence());
    void this.bus.listen((envelope) => this.deliver(envelope)).catch((error: unknown) => {
      this.logger.error({ err: error }, 'realtime bus subscription failed; published events will not reach this instance');
    });
    // No beat at start: there is nothing of this instance's to renew yet, and the shared connection may
    // still be connecting (it queues nothing while offline, so a beat now would only log a failure).
    this.heartbeat = setInterval(() => void this.beat(), Math.max(100, Math.floor(this.options.presenceTtlMs / 3)));
    this.heartbeat.unref();
  }

  handleConnection(socket: Socket): void {
    const state = stateOf(socket);
    this.metrics.connects.inc();
    this.metrics.connected.inc();
    this.scheduleExpiry(socket);
    this.observer.started(state.session);
    socket.once('disconnect', (reason: string) => void this.ended(socket, reason));
    this.presenceChanges.touch();
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<Ack> {
    await this.admitMessage(socket, 'subscribe');
    const { channel } = parsed(SubscriptionRequest, body);
    await this.authorize(socket, channel);
    await socket.join(channel);
    if (channel === LOBBY_CHANNEL && this.announcedOnline !== undefined) socket.emit('presence.updated', { online: this.announcedOnline });
    return { ok: true };
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<Ack> {
    await this.admitMessage(socket, 'unsubscribe');
    const { channel } = parsed(SubscriptionRequest, body);
    if (!this.channels.match(channel)) throw unknownChannel(channel);
    await socket.leave(channel);
    return { ok: true };
  }

  @SubscribeMessage('message')
  async message(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<Ack> {
    const request = parsed(MessageRequest, body);
    const handler = this.messages.get(request.event);
    await this.admitMessage(socket, handler ? request.event : 'unknown');
    if (!handler) throw badRequest(`unknown event ${request.event}`);
    const params = handler.params(request.channel);
    if (!params) throw badRequest(`${request.event} is not accepted on ${request.channel}`);
    await this.authorize(socket, request.channel);
    const validated = await handler.rule.schema['~standard'].validate(request.data);
    if (validated.issues) throw badRequest(`malformed data: ${validated.issues.map((issue) => issue.message).join('; ')}`);
    const result = await handler.rule.handle({ principal: stateOf(socket).principal, params, data: validated.value, requestId: randomUUID() });
    return { ok: true, result };
  }

  /**
   * Tells every local socket to reconnect elsewhere and closes it; new handshakes are refused from now
   * on. Presence entries go at once rather than when they expire.
   */
  async drain(): Promise<void> {
    this.draining = true;
    const sockets = [...this.namespace.sockets.values()];
    for (const socket of sockets) {
      stateOf(socket).endReason = 'server_draining';
      socket.emit('server.draining', { reason: 'server_draining', reconnect: true });
      // Leaves the namespace with a disconnect packet the client sees as `io server disconnect`.
      socket.disconnect();
    }
    // app.close() discards what a transport has not sent yet: the notice must be on the wire first.
    await Promise.all(sockets.map((socket) => flushed(socket)));
    await this.presence.clear().catch((error: unknown) => this.logger.warn({ err: error }, 'presence entries left to expire'));
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.heartbeat);
    this.presenceChanges.cancel();
    await this.bus.close();
  }

  /** Authenticates, derives the session, and counts the connection against the user's cap. */
  private async handshake(socket: Socket): Promise<void> {
    if (this.draining) {
      this.metrics.refusals.inc({ reason: 'draining' });
      throw new ProblemException({ status: 503, slug: 'unavailable', title: 'Service unavailable', detail: 'this instance is shutting down; connect again' });
    }
    const principal = await this.authenticate(socket);
    if (!(await this.presence.admit(principal.sub, this.options.maxConnectionsPerUser))) {
      this.metrics.refusals.inc({ reason: 'too_many_connections' });
      throw new ProblemException({
        status: 429,
        slug: 'too-many-connections',
        title: 'Too many connections',
        detail: `at most ${this.options.maxConnectionsPerUser} open connections per user`,
      });
    }
    // The client may have gone while Redis answered; socket.io would then never report its disconnect.
    if (socket.conn.readyState !== 'open') {
      await this.presence.release(principal.sub);
      throw unavailable();
    }
    const auth = socket.handshake.auth as Record<string, unknown>;
    const session: SocketSession = {
      sessionId: socket.id,
      userId: principal.sub,
      clientType: clientTypeOf(auth['clientType'], socket.handshake.headers['user-agent']),
      instanceId: this.options.instanceId,
      startedAt: Date.now(),
    };
    Object.assign(socket.data as object, { principal, session } satisfies SocketState);
  }

  private async authenticate(socket: Socket): Promise<Principal> {
    const auth = socket.handshake.auth as Record<string, unknown>;
    const header = socket.handshake.headers.authorization;
    const token = typeof auth['token'] === 'string' ? auth['token'] : header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (token === undefined || token === '') {
      this.metrics.authFailures.inc({ reason: 'missing' });
      throw new ProblemException({ status: 401, slug: 'unauthorized', title: 'Unauthorized', detail: 'a token is required (auth.token or an Authorization: Bearer header)' });
    }
    try {
      return await this.verifier.verify(token);
    } catch (error) {
      this.metrics.authFailures.inc({ reason: authFailureReason(error) });
      throw new ProblemException({ status: 401, slug: 'unauthorized', title: 'Unauthorized', detail: error instanceof Error ? error.message : 'invalid token' });
    }
  }

  private scheduleExpiry(socket: Socket): void {
    const state = stateOf(socket);
    const expiresAt = (state.principal.claims['exp'] as number) * 1000;
    state.expiry = setTimeout(
      () => {
        if (Date.now() < expiresAt) return this.scheduleExpiry(socket);
        this.end(socket, 'token_expired');
      },
      Math.min(Math.max(0, expiresAt - Date.now()), LONGEST_TIMER_MS),
    );
  }

  /** Ends a session for a reason of the server's, which the client learns before the disconnect. */
  private end(socket: Socket, reason: string): void {
    stateOf(socket).endReason = reason;
    socket.emit('session.ended', { reason });
    socket.disconnect();
  }

  private async ended(socket: Socket, transportReason: string): Promise<void> {
    const state = stateOf(socket);
    clearTimeout(state.expiry);
    const reason = state.endReason ?? transportReason;
    this.metrics.connected.dec();
    this.metrics.disconnects.inc({ reason });
    this.observer.ended(state.session, reason, Date.now() - state.session.startedAt);
    // Draining has cleared this instance's entries already.
    if (reason !== 'server_draining') {
      await this.presence.release(state.principal.sub).catch((error: unknown) => this.logger.warn({ err: error }, 'presence release failed'));
    }
    this.presenceChanges.touch();
  }

  private async authorize(socket: Socket, channel: string): Promise<ChannelMatch> {
    const match = this.channels.match(channel);
    if (!match) throw unknownChannel(channel);
    if (!(await match.rule.authorize(stateOf(socket).principal, match.params))) {
      throw new ProblemException({ status: 403, slug: 'forbidden', title: 'Forbidden', detail: `not allowed on channel ${channel}` });
    }
    return match;
  }

  /** Both budgets live in the rate-limit store, so a user's budget is shared by every instance. */
  private async admitMessage(socket: Socket, event: string): Promise<void> {
    this.metrics.messagesIn.inc({ event });
    const connection = await this.limits.consume(`realtime:connection:${socket.id}`, this.perConnection, true);
    const decision = connection.allowed ? await this.limits.consume(`realtime:user:${stateOf(socket).principal.sub}`, this.perUser, true) : connection;
    if (!decision.allowed) {
      throw new ProblemException({
        status: 429,
        slug: 'too-many-requests',
        title: 'Too many requests',
        detail: `message rate limit of ${decision.limit} exceeded; retry in ${Math.ceil(decision.retryAfterMs / 1000)} s`,
      });
    }
  }

  private deliver(envelope: RealtimeEnvelope): void {
    const receivers = this.namespace.adapter.rooms.get(envelope.channel)?.size ?? 0;
    if (receivers === 0) return;
    // Local only: every instance receives the envelope and serves its own sockets.
    this.namespace.local.to(envelope.channel).emit(envelope.event, envelope.data);
    this.metrics.messagesOut.inc({ event: envelope.event }, receivers);
    this.metrics.deliveryLatency.observe(Math.max(0, Date.now() - envelope.publishedAt) / 1000);
  }

  private async beat(): Promise<void> {
    try {
      await this.presence.heartbeat();
    } catch (error) {
      this.logger.warn({ err: error }, 'presence heartbeat failed');
    }
    // Also how a crashed instance's users leave the lobby's count: nobody announces their going.
    this.refreshPresence();
  }

  /** Announces the online count to this instance's lobby when it changed; one read at a time, again if asked meanwhile. */
  private refreshPresence(): void {
    if (this.presenceRefresh) {
      this.presenceStale = true;
      return;
    }
    this.presenceRefresh = this.presence
      .online()
      .then((online) => {
        if (online === this.announcedOnline) return;
        this.announcedOnline = online;
        const receivers = this.namespace.adapter.rooms.get(LOBBY_CHANNEL)?.size ?? 0;
        this.namespace.local.to(LOBBY_CHANNEL).emit('presence.updated', { online });
        this.metrics.messagesOut.inc({ event: 'presence.updated' }, receivers);
      })
      .catch((error: unknown) => this.logger.warn({ err: error }, 'presence count failed'))
      .finally(() => {
        this.presenceRefresh = undefined;
        if (!this.presenceStale) return;
        this.presenceStale = false;
        this.refreshPresence();
      });
  }
}

/** Resolves once the socket's transport has sent everything queued, or after a second at most. */
function flushed(socket: Socket): Promise<void> {
  const connection = socket.conn;
  // engine.io keeps its send queue private; its length is the only way to know whether to wait for 'drain'.
  const queued = (connection as unknown as { writeBuffer: readonly unknown[] }).writeBuffer.length;
  if (queued === 0 || connection.readyState !== 'open') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1_000);
    connection.once('drain', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function unknownChannel(channel: string): ProblemException {
  return new ProblemException({ status: 404, slug: 'unknown-channel', title: 'Unknown channel', detail: `no channel ${channel}` });
}

function unavailable(): ProblemException {
  return new ProblemException({ status: 503, slug: 'unavailable', title: 'Service unavailable', detail: 'the handshake could not be completed; try again' });
}
