import { randomUUID } from 'node:crypto';
import { LuaScript, REDIS_NOW } from '@portico/redis';
import type { Redis } from 'ioredis';
import type { RateLimitAlgorithm, RateLimitPolicy } from './rate-limit-policy.js';
import type { RateLimitDecision, RateLimitStore } from './rate-limit-store.js';

// Every script reads the clock from Redis (TIME), so all gateway instances agree on windows whatever
// their own clocks say, and returns {allowed, remaining, resetMs, retryAfterMs}. A rejected request
// writes nothing. Redis 7 replicates scripts by effects, so TIME inside a writing script is allowed.
const SCRIPTS: Record<RateLimitAlgorithm, LuaScript> = {
  'fixed-window': new LuaScript(`${REDIS_NOW}
local limit, window, commit = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
local start = now - (now % window)
local stored = redis.call('HMGET', KEYS[1], 's', 'c')
local count = 0
if tonumber(stored[1]) == start then count = tonumber(stored[2]) end
local reset = start + window - now
if count >= limit then return {0, 0, reset, reset} end
if commit then
  redis.call('HSET', KEYS[1], 's', start, 'c', count + 1)
  redis.call('PEXPIRE', KEYS[1], reset)
end
return {1, limit - count - 1, reset, 0}
`),
  // Exact sliding window: a sorted set with one member per allowed request, scored by its time.
  'sliding-window': new LuaScript(`${REDIS_NOW}
local limit, window, commit, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1', ARGV[4]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local retry = tonumber(oldest[2]) + window - now
  return {0, 0, retry, retry}
end
if commit then
  redis.call('ZADD', KEYS[1], now, member)
  redis.call('PEXPIRE', KEYS[1], window)
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = window
if oldest[2] then reset = tonumber(oldest[2]) + window - now end
return {1, limit - count - 1, reset, 0}
`),
  // Tokens refill continuously at limit/window per ms up to burst; the hash holds the level and when it was read.
  'token-bucket': new LuaScript(`${REDIS_NOW}
local limit, window, commit, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1', tonumber(ARGV[5])
local rate = limit / window
local stored = redis.call('HMGET', KEYS[1], 't', 'a')
local tokens = burst
if stored[1] then tokens = math.min(burst, tonumber(stored[1]) + (now - tonumber(stored[2])) * rate) end
if tokens < 1 then
  return {0, 0, math.ceil((burst - tokens) / rate), math.ceil((1 - tokens) / rate)}
end
local left = tokens - 1
local full = math.ceil((burst - left) / rate)
if commit then
  redis.call('HSET', KEYS[1], 't', string.format('%.17g', left), 'a', now)
  redis.call('PEXPIRE', KEYS[1], full)
end
return {1, math.floor(left), full, 0}
`),
};

const SUFFIX: Record<RateLimitAlgorithm, string> = { 'fixed-window': 'fw', 'sliding-window': 'sw', 'token-bucket': 'tb' };

/** The Redis key of a limit: hash-tagged so each script's single key maps to one Cluster slot. */
export function redisKey(key: string, algorithm: RateLimitAlgorithm): string {
  return `{rl:${key}}:${SUFFIX[algorithm]}`;
}

/** Shared counters for every gateway instance, one atomic Lua script call per decision. */
export class RedisRateLimitStore implements RateLimitStore {
  // Sliding-window members must be unique across instances; the instance id plus a counter is.
  private readonly instance = randomUUID();
  private sequence = 0;

  /**
   * `timeoutMs` bounds each decision: the shared connection fails commands at once while
   * disconnected, but a Redis that hangs (paused, overloaded) would otherwise stall every request.
   */
  constructor(
    private readonly redis: Redis,
    private readonly timeoutMs = 250,
  ) {}

  async consume(key: string, policy: RateLimitPolicy, commit: boolean): Promise<RateLimitDecision> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`rate limit decision took longer than ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([this.decide(key, policy, commit), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async decide(key: string, policy: RateLimitPolicy, commit: boolean): Promise<RateLimitDecision> {
    const args = [policy.limit, policy.windowMs, commit ? 1 : 0, `${this.instance}:${++this.sequence}`, policy.burst];
    const redisKeyName = redisKey(key, policy.algorithm);
    const reply = await SCRIPTS[policy.algorithm].run(this.redis, [redisKeyName], args);
    const [allowed, remaining, resetMs, retryAfterMs] = reply as [number, number, number, number];
    return {
      allowed: allowed === 1,
      limit: policy.algorithm === 'token-bucket' ? policy.burst : policy.limit,
      remaining,
      resetMs,
      retryAfterMs,
    };
  }
}
