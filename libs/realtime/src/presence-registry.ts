import type { Redis } from 'ioredis';
import { LuaScript } from '@portico/redis';

/**
 * Who holds a socket, across every gateway instance: connections per user (for the per-user cap)
 * and distinct users online.
 */
export interface PresenceRegistry {
  /** Counts one more connection for the user unless it already holds `max`; false when refused. */
  admit(userId: string, max: number): Promise<boolean>;
  release(userId: string): Promise<void>;
  /** Distinct users with at least one socket on a live instance. */
  online(): Promise<number>;
  /** Keeps this instance's entries alive; a crashed instance's entries expire `ttlMs` after its last beat. */
  heartbeat(): Promise<void>;
  /** Removes this instance's entries at once (a graceful stop). */
  clear(): Promise<void>;
}

/** One process is every instance: the counts are the truth, nothing expires. */
export class MemoryPresenceRegistry implements PresenceRegistry {
  private readonly connections = new Map<string, number>();

  admit(userId: string, max: number): Promise<boolean> {
    const held = this.connections.get(userId) ?? 0;
    if (held >= max) return Promise.resolve(false);
    this.connections.set(userId, held + 1);
    return Promise.resolve(true);
  }

  release(userId: string): Promise<void> {
    const held = (this.connections.get(userId) ?? 0) - 1;
    if (held > 0) this.connections.set(userId, held);
    else this.connections.delete(userId);
    return Promise.resolve();
  }

  online(): Promise<number> {
    return Promise.resolve(this.connections.size);
  }

  heartbeat(): Promise<void> {
    return Promise.resolve();
  }

  clear(): Promise<void> {
    this.connections.clear();
    return Promise.resolve();
  }
}

const INSTANCES_KEY = 'portico:presence:instances';
const INSTANCE_PREFIX = 'portico:presence:instance:';

// The scripts read the other instances' hashes by name, which a Redis Cluster would refuse; Portico's
// Redis is one primary. Each is one round trip and atomic, so two instances cannot both admit a
// user's last allowed connection.
const ADMIT = new LuaScript(`
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[4]), ARGV[5])
local live = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf')
local held = 0
for _, id in ipairs(live) do
  local count = redis.call('HGET', ARGV[6] .. id, ARGV[2])
  if count then held = held + tonumber(count) end
end
if held >= tonumber(ARGV[3]) then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
`);

const RELEASE = new LuaScript(`
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if left <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return left
`);

const ONLINE = new LuaScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
local seen = {}
local count = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  for _, user in ipairs(redis.call('HKEYS', ARGV[2] .. id)) do
    if not seen[user] then
      seen[user] = true
      count = count + 1
    end
  end
end
return count
`);

/**
 * Each instance owns one hash (user → its connections there) that expires unless heartbeats renew
 * it, and a sorted set of instances scored by when they expire: a crashed instance's users drop out
 * after `ttlMs` with nobody cleaning up after it.
 */
export class RedisPresenceRegistry implements PresenceRegistry {
  private readonly ownKey: string;
  // The local truth, written back if Redis lost the hash (a restart, a blip longer than the TTL).
  private readonly local = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly instanceId: string,
    private readonly ttlMs: number,
  ) {
    this.ownKey = INSTANCE_PREFIX + instanceId;
  }

  async admit(userId: string, max: number): Promise<boolean> {
    const admitted = await ADMIT.run(this.redis, [INSTANCES_KEY, this.ownKey], [Date.now(), userId, max, this.ttlMs, this.instanceId, INSTANCE_PREFIX]);
    if (admitted !== 1) return false;
    this.local.set(userId, (this.local.get(userId) ?? 0) + 1);
    return true;
  }

  async release(userId: string): Promise<void> {
    const held = (this.local.get(userId) ?? 0) - 1;
    if (held > 0) this.local.set(userId, held);
    else this.local.delete(userId);
    await RELEASE.run(this.redis, [this.ownKey], [userId]);
  }

  async online(): Promise<number> {
    return (await ONLINE.run(this.redis, [INSTANCES_KEY], [Date.now(), INSTANCE_PREFIX])) as number;
  }

  async heartbeat(): Promise<void> {
    const renewed = await this.redis.pexpire(this.ownKey, this.ttlMs);
    const transaction = this.redis.multi();
    if (renewed === 0 && this.local.size > 0) {
      transaction.hset(this.ownKey, Object.fromEntries(this.local)).pexpire(this.ownKey, this.ttlMs);
    }
    await transaction.zadd(INSTANCES_KEY, Date.now() + this.ttlMs, this.instanceId).exec();
  }

  async clear(): Promise<void> {
    this.local.clear();
    await this.redis.multi().del(this.ownKey).zrem(INSTANCES_KEY, this.instanceId).exec();
  }
}
