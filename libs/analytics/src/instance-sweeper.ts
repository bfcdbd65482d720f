import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AnalyticsKeys } from './analytics-keys.js';
import { LuaScript, REDIS_NOW } from '@portico/redis';
import { INSTANCE_LOST } from './session-event.js';

// One dead instance per call, claimed atomically: the heartbeat is checked again, the instance and its
// open sessions are removed and one SESSION_ENDED per session is appended in the same script, so two
// sweepers (or a sweeper and a returning instance) can never end a session twice, and a sweeper that
// dies half-way cannot end it zero times. The duration runs to the last heartbeat, the last moment the
// session is known to have been alive. The event id is derived from the instance and session, so a
// retried sweep dedupes.
const SWEEP = new LuaScript(`${REDIS_NOW}
local beat = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not beat then return 0 end
beat = tonumber(beat)
if beat > now - tonumber(ARGV[2]) then return 0 end
local open = redis.call('HGETALL', KEYS[2])
for index = 1, #open, 2 do
  local session = cjson.decode(open[index + 1])
  local event = cjson.encode({
    type = 'SESSION_ENDED',
    eventId = ARGV[4] .. ':' .. ARGV[1] .. ':' .. open[index],
    userId = session.userId,
    sessionId = open[index],
    clientType = session.clientType,
    instanceId = ARGV[1],
    timestamp = beat,
    durationMs = math.max(0, beat - session.startedAt),
    reason = ARGV[4],
  })
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'event', event)
end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
return #open / 2
`);

export interface InstanceSweeperOptions {
  stream: string;
  maxLength: number;
  /** Must equal the emitters' ANALYTICS_INSTANCE_TTL_MS. */
  instanceTtlMs: number;
}

/** Ends the open sessions of emitting instances whose heartbeat expired (reason `instance_lost`). */
export class InstanceSweeper {
  private readonly logger = new Logger('analytics-sweeper');
  private readonly keys: AnalyticsKeys;

  constructor(
    private readonly redis: Redis,
    private readonly options: InstanceSweeperOptions,
  ) {
    this.keys = new AnalyticsKeys(options.stream);
  }

  /** One pass; resolves with the number of sessions it ended. */
  async sweep(): Promise<number> {
    const [seconds, micros] = await this.redis.time();
    const cutoff = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - this.options.instanceTtlMs;
    const candidates = await this.redis.zrangebyscore(this.keys.instances, '-inf', cutoff);
    let ended = 0;
    for (const instance of candidates) {
      const sessions = Number(
        await SWEEP.run(
          this.redis,
          [this.keys.instances, this.keys.openSessions(instance), this.keys.stream],
          [instance, this.options.instanceTtlMs, this.options.maxLength, INSTANCE_LOST],
        ),
      );
      if (sessions > 0) this.logger.warn({ instance, sessions }, 'instance stopped heartbeating; its sessions ended as instance_lost');
      ended += sessions;
    }
    return ended;
  }
}
