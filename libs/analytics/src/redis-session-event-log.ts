import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AnalyticsKeys } from './analytics-keys.js';
import type { SessionEventLogMetrics } from './analytics.metrics.js';
import { LuaScript, REDIS_NOW } from '@portico/redis';
import { SessionEventLog } from './session-event-log.js';
import type { SocketSession } from '@portico/realtime';
import { sessionEnded, sessionStarted, type SessionEvent } from './session-event.js';

export interface RedisSessionEventLogOptions {
  stream: string;
  /** Approximate MAXLEN of the stream (XADD MAXLEN ~): docs/analytics.md explains the trade-off. */
  maxLength: number;
  /** An instance whose heartbeat is older than this is dead; heartbeats run every third of it. */
  instanceTtlMs: number;
  /** Events kept in memory while Redis is unreachable; beyond it they are dropped, logged and counted. */
  bufferSize: number;
  /** Wait before retrying the buffer after a failed append. */
  retryMs?: number;
}

// The append and the open-session record change together, and the heartbeat comes from the same clock.
const START = new LuaScript(`${REDIS_NOW}
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[3], now, ARGV[5])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'event', ARGV[2])
return 1
`);

// Only a session still open is ended here: the sweeper may already have ended it (instance_lost)
// during a pause longer than the TTL, and a retried append must not add a second end.
const END = new LuaScript(`
if redis.call('HDEL', KEYS[2], ARGV[3]) == 0 then return 0 end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'event', ARGV[2])
return 1
`);

const HEARTBEAT = new LuaScript(`${REDIS_NOW}
for index, instance in ipairs(ARGV) do redis.call('ZADD', KEYS[1], now, instance) end
return 1
`);

// A cleanly stopped instance with nothing open leaves at once instead of being swept later.
const LEAVE = new LuaScript(`
if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 1
`);

interface PendingEvent {
  event: SessionEvent;
  session: SocketSession;
}

/**
 * Appends session events to the analytics stream and keeps each instance's open sessions and heartbeat
 * in Redis for the sweeper. Calls never throw and never wait: events queue in order in a bounded
 * buffer written one at a time, so a Redis outage delays them (retried every `retryMs`) instead of
 * losing them, until the buffer is full.
 */
export class RedisSessionEventLog extends SessionEventLog {
  private readonly logger = new Logger('analytics');
  private readonly keys: AnalyticsKeys;
  private readonly pending: PendingEvent[] = [];
  private readonly instances = new Set<string>();
  private readonly heartbeat: NodeJS.Timeout;
  private flushing: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;
  private failing = false;
  private closed = false;
  private dropping = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisSessionEventLogOptions,
    private readonly metrics: SessionEventLogMetrics,
  ) {
    super();
    this.keys = new AnalyticsKeys(options.stream);
    this.heartbeat = setInterval(() => void this.beat(), Math.max(1, Math.floor(options.instanceTtlMs / 3)));
    this.heartbeat.unref();
  }

  started(session: SocketSession): void {
    this.instances.add(session.instanceId);
    this.enqueue({ event: sessionStarted(session), session });
  }

  ended(session: SocketSession, reason: string, durationMs: number): void {
    this.enqueue({ event: sessionEnded(session, reason, durationMs), session });
  }

  /** Events not yet in Redis. */
  get backlog(): number {
    return this.pending.length;
  }

  /** Writes what it can, stops heartbeating and withdraws instances that have no open session left. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    await this.flush();
    if (this.pending.length > 0) this.logger.warn({ events: this.pending.length }, 'analytics events not written before shutdown');
    await Promise.all(
      [...this.instances].map((instance) =>
        LEAVE.run(this.redis, [this.keys.instances, this.keys.openSessions(instance)], [instance]).catch(() => undefined),
      ),
    );
  }

  private enqueue(item: PendingEvent): void {
    if (this.pending.length >= this.options.bufferSize) {
      this.metrics.droppedEvent();
      if (!this.dropping) this.logger.error({ bufferSize: this.options.bufferSize }, 'analytics buffer full: dropping session events');
      this.dropping = true;
      return;
    }
    this.pending.push(item);
    this.metrics.setBuffered(this.pending.length);
    if (!this.failing) void this.flush();
  }

  private flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const next = this.pending[0]!;
      try {
        await this.append(next);
      } catch (error) {
        if (!this.failing) this.logger.warn({ err: error, buffered: this.pending.length }, 'analytics stream unreachable; buffering events');
        this.failing = true;
        clearTimeout(this.retry);
        if (!this.closed) {
          this.retry = setTimeout(() => void this.flush(), this.options.retryMs ?? 1_000);
          this.retry.unref();
        }
        return;
      }
      this.pending.shift();
      this.metrics.setBuffered(this.pending.length);
      this.metrics.appendedEvent(next.event.type);
    }
    if (this.failing) this.logger.log('analytics stream reachable again; buffer written');
    this.failing = false;
    this.dropping = false;
  }

  private async append({ event, session }: PendingEvent): Promise<void> {
    const stream = this.keys.stream;
    const open = this.keys.openSessions(session.instanceId);
    if (event.type === 'SESSION_STARTED') {
      const record = JSON.stringify({ userId: event.userId, clientType: event.clientType, startedAt: event.timestamp });
      await START.run(
        this.redis,
        [stream, open, this.keys.instances],
        [this.options.maxLength, JSON.stringify(event), event.sessionId, record, event.instanceId],
      );
    } else {
      await END.run(this.redis, [stream, open], [this.options.maxLength, JSON.stringify(event), event.sessionId]);
    }
  }

  private async beat(): Promise<void> {
    if (this.instances.size === 0) return;
    await HEARTBEAT.run(this.redis, [this.keys.instances], [...this.instances]).catch((error: unknown) =>
      this.logger.debug({ err: error }, 'analytics heartbeat failed'),
    );
  }
}
