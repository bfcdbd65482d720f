import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AnalyticsKeys } from './analytics-keys.js';
import type { StreamConsumerMetrics } from './analytics.metrics.js';
import { bucketOf } from './duration-sketch.js';
import { LuaScript } from '@portico/redis';
import { parseSessionEvent, utcDay } from './session-event.js';

// "Seen this event id?", the aggregate update and the XACK in one atomic step: a consumer that dies
// before it leaves the entry pending (claimed and redone), one that dies after leaves nothing to redo,
// and a duplicate (the same event appended twice by a retrying emitter) is acknowledged uncounted.
const APPLY = new LuaScript(`
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[3]) then
  if ARGV[4] == 'SESSION_STARTED' then
    redis.call('HINCRBY', KEYS[3], 'started', 1)
  else
    redis.call('HINCRBY', KEYS[3], 'ended', 1)
    redis.call('HINCRBY', KEYS[3], 'sum', ARGV[6])
    redis.call('HINCRBY', KEYS[3], 'b:' .. ARGV[7], 1)
  end
  redis.call('SADD', KEYS[4], ARGV[5])
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 0
`);

export interface SessionEventConsumerOptions {
  stream: string;
  group: string;
  /** Unique per worker process: entries pending under a dead consumer's name are claimed by the others. */
  consumer: string;
  batchSize: number;
  blockMs: number;
  /** Entries pending this long under any consumer are taken over (XAUTOCLAIM). */
  claimIdleMs: number;
  /** How long an event id is remembered for dedupe. */
  dedupeWindowMs: number;
}

type StreamEntry = [id: string, fields: string[]];

/**
 * Consumes the analytics stream in a consumer group, at least once: entries are acknowledged only by
 * the script that counts them, and entries another consumer left pending longer than `claimIdleMs` are
 * claimed and processed here. `stop()` lets the batch in hand finish.
 */
export class SessionEventConsumer {
  private readonly logger = new Logger('analytics-consumer');
  private readonly keys: AnalyticsKeys;
  private claimCursor = '0-0';
  private groupReady = false;
  private stopping = false;
  private running: Promise<void> | undefined;

  /** `blocking` carries only the blocking XREADGROUP, so `redis` stays free for everything else. */
  constructor(
    private readonly redis: Redis,
    private readonly blocking: Redis,
    private readonly options: SessionEventConsumerOptions,
    private readonly metrics: StreamConsumerMetrics,
  ) {
    this.keys = new AnalyticsKeys(options.stream);
  }

  /** Creates the group (from the start of the stream, so events appended before the first worker count). */
  async createGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.options.stream, this.options.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('BUSYGROUP')) throw error;
    }
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  /** One round: claim what dead consumers left, then read new entries; resolves with the entries handled. */
  async poll(): Promise<number> {
    if (!this.groupReady) {
      await this.createGroup();
      this.groupReady = true;
    }
    const claimed = await this.claim();
    if (this.stopping) return claimed;
    const reply = (await this.blocking.xreadgroup(
      'GROUP',
      this.options.group,
      this.options.consumer,
      'COUNT',
      this.options.batchSize,
      'BLOCK',
      this.options.blockMs,
      'STREAMS',
      this.options.stream,
      '>',
    )) as [string, StreamEntry[]][] | null;
    const entries = reply?.[0]?.[1] ?? [];
    await this.process(entries);
    return claimed + entries.length;
  }

  /** Entries delivered but not yet acknowledged, and entries not yet delivered to the group (Redis 7 `lag`). */
  async backlog(): Promise<{ pending: number; lag: number }> {
    const groups = (await this.redis.xinfo('GROUPS', this.options.stream)) as unknown[][];
    for (const group of groups) {
      const fields = new Map<string, unknown>();
      for (let index = 0; index < group.length; index += 2) fields.set(String(group[index]), group[index + 1]);
      if (fields.get('name') === this.options.group) {
        return { pending: Number(fields.get('pending') ?? 0), lag: Number(fields.get('lag') ?? 0) };
      }
    }
    return { pending: 0, lag: 0 };
  }

  private async loop(): Promise<void> {
    let failing = false;
    while (!this.stopping) {
      try {
        await this.connected();
        await this.poll();
        if (failing) this.logger.log('analytics stream reachable again');
        failing = false;
      } catch (error) {
        if (this.stopping) break;
        // The stream or the group was deleted: recreate the group on the next round.
        if (error instanceof Error && error.message.startsWith('NOGROUP')) this.groupReady = false;
        if (!failing) this.logger.error({ err: error }, 'analytics stream unreachable; retrying');
        failing = true;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  /** Waits (up to a second) for both connections: commands fail at once while they connect. */
  private async connected(): Promise<void> {
    for (const connection of [this.redis, this.blocking]) {
      if (connection.status === 'ready') continue;
      let onReady: (() => void) | undefined;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        onReady = resolve;
        timer = setTimeout(resolve, 1_000);
        connection.once('ready', onReady);
      });
      clearTimeout(timer);
      connection.off('ready', onReady!);
    }
  }

  private async claim(): Promise<number> {
    const [next, entries, deleted] = (await this.redis.xautoclaim(
      this.options.stream,
      this.options.group,
      this.options.consumer,
      this.options.claimIdleMs,
      this.claimCursor,
      'COUNT',
      this.options.batchSize,
    )) as [string, StreamEntry[], string[]?];
    this.claimCursor = next;
    if (deleted && deleted.length > 0) {
      this.metrics.trimmedEntries(deleted.length);
      this.logger.error({ entries: deleted.length }, 'pending analytics entries were trimmed from the stream before being processed');
    }
    if (entries.length === 0) return 0;
    this.metrics.claimedEntries(entries.length);
    this.logger.warn({ entries: entries.length }, 'claimed analytics entries left pending by another consumer');
    await this.process(entries);
    return entries.length;
  }

  private async process(entries: readonly StreamEntry[]): Promise<void> {
    for (const [id, fields] of entries) {
      const index = fields.indexOf('event');
      const event = index >= 0 && index % 2 === 0 ? parseSessionEvent(fields[index + 1] ?? '') : undefined;
      if (!event) {
        this.logger.warn({ id }, 'skipping a stream entry that is not a session event');
        await this.redis.xack(this.options.stream, this.options.group, id);
        this.metrics.handled('invalid');
        continue;
      }
      const day = utcDay(event.timestamp);
      const durationMs = event.type === 'SESSION_ENDED' ? event.durationMs : 0;
      const counted = await APPLY.run(
        this.redis,
        [this.keys.stream, this.keys.seen(event.eventId), this.keys.aggregate(day, event.clientType), this.keys.clientTypes(day)],
        [this.options.group, id, this.options.dedupeWindowMs, event.type, event.clientType, durationMs, bucketOf(durationMs)],
      );
      this.metrics.handled(counted === 1 ? 'processed' : 'duplicate');
    }
  }
}
