import { Logger } from '@nestjs/common';
import { closeConnection } from '@portico/redis';
import { Redis, type Result } from 'ioredis';
import type { DiscoveryProvider, ProviderWatch, Registrar, WatchSink } from '../discovery-provider.js';
import type { RegistryEntry, ServiceInstance } from '../service-instance.js';

export interface RedisProviderOptions {
  url: string;
  /** Namespaces keys and channels, e.g. `portico`. */
  prefix: string;
  /** A relist runs at least this often even when nothing expires sooner; a backstop for lost messages. */
  maxRelistMs?: number;
}

// Every key of one service shares a hash tag, so on Redis Cluster a service lives in one slot and
// the scripts below touch a single node. Expiry uses the server's clock (TIME), so the clocks of
// gateways and services never need to agree. Per-field TTLs (HEXPIRE) need Redis 7.4; a sorted set
// of expiry times works on every version.
const ANNOUNCE = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local ttl = tonumber(ARGV[3])
local before = redis.call('HGET', KEYS[1], ARGV[1])
local expiry = redis.call('ZSCORE', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
for _, key in ipairs(KEYS) do
  if redis.call('PTTL', key) < ttl * 3 then redis.call('PEXPIRE', key, ttl * 3) end
end
if before ~= ARGV[2] or not expiry or tonumber(expiry) < now then
  redis.call('PUBLISH', ARGV[4], 'announce')
end
return 1
`;

const WITHDRAW = `
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[2], 'withdraw')
return 1
`;

/** Drops expired entries, then returns the server time followed by id, value, expiry triples of the live ones. */
const LIST = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)
for _, id in ipairs(expired) do
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
local live = redis.call('ZRANGEBYSCORE', KEYS[2], now, '+inf', 'WITHSCORES')
local out = { tostring(now) }
for i = 1, #live, 2 do
  local value = redis.call('HGET', KEYS[1], live[i])
  if value then
    table.insert(out, live[i])
    table.insert(out, value)
    table.insert(out, live[i + 1])
  end
end
return out
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    discoveryAnnounce(instances: string, expiry: string, id: string, value: string, ttlMs: number, channel: string): Result<number, Context>;
    discoveryWithdraw(instances: string, expiry: string, id: string, channel: string): Result<number, Context>;
    discoveryList(instances: string, expiry: string): Result<string[], Context>;
  }
}

function connect(url: string, logger: Logger, role: string): Redis {
  const redis = new Redis(url, {
    // Commands wait for a connection (the first announce runs while it is still being made), but
    // never long: a watch keeps its last list, a heartbeat retries on the next beat.
    commandTimeout: 2_000,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let lastError: string | undefined;
  redis.on('error', (error: Error) => {
    if (error.message !== lastError) logger.warn({ err: error, role }, 'discovery redis connection error');
    lastError = error.message;
  });
  redis.on('ready', () => (lastError = undefined));
  redis.defineCommand('discoveryAnnounce', { numberOfKeys: 2, lua: ANNOUNCE });
  redis.defineCommand('discoveryWithdraw', { numberOfKeys: 2, lua: WITHDRAW });
  redis.defineCommand('discoveryList', { numberOfKeys: 2, lua: LIST });
  return redis;
}

interface ServiceKeys {
  instances: string;
  expiry: string;
  channel: string;
}

/**
 * Registry in Redis: an instance is a hash field plus an expiry time in a sorted set, renewed by
 * heartbeats. Watchers hear registrations and withdrawals on a channel and relist at the next
 * expiry time they know of, so a dead instance is dropped when its TTL ends without any polling.
 */
export class RedisProvider implements DiscoveryProvider, Registrar {
  readonly kind = 'redis';
  readonly registrar = this;
  private readonly logger = new Logger('discovery');
  private readonly commands: Redis;
  private subscriber: Redis | undefined;
  private readonly watches = new Map<string, RedisWatch>();

  constructor(private readonly options: RedisProviderOptions) {
    this.commands = connect(options.url, this.logger, 'commands');
  }

  keys(service: string): ServiceKeys {
    const tag = `{${this.options.prefix}:discovery:${service}}`;
    return { instances: `${tag}:instances`, expiry: `${tag}:expiry`, channel: `${tag}:changes` };
  }

  async announce(instance: ServiceInstance, ttlMs: number): Promise<void> {
    const keys = this.keys(instance.service);
    const value = JSON.stringify({ address: instance.address, weight: instance.weight, metadata: instance.metadata });
    await this.commands.discoveryAnnounce(keys.instances, keys.expiry, instance.id, value, ttlMs, keys.channel);
  }

  async withdraw(instance: ServiceInstance): Promise<void> {
    const keys = this.keys(instance.service);
    await this.commands.discoveryWithdraw(keys.instances, keys.expiry, instance.id, keys.channel);
  }

  watch(service: string, sink: WatchSink): ProviderWatch {
    const keys = this.keys(service);
    const watch = new RedisWatch(keys, sink, this.commands, this.options.maxRelistMs ?? 30_000);
    this.watches.set(keys.channel, watch);
    const subscriber = this.subscriberConnection();
    subscriber.subscribe(keys.channel).catch((error: unknown) => sink.unreachable(error as Error));
    watch.relist();
    return {
      close: async () => {
        watch.close();
        this.watches.delete(keys.channel);
        await subscriber.unsubscribe(keys.channel).catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    for (const watch of this.watches.values()) watch.close();
    const connections = this.subscriber ? [this.subscriber, this.commands] : [this.commands];
    await Promise.all(connections.map(closeConnection));
  }

  private subscriberConnection(): Redis {
    if (this.subscriber) return this.subscriber;
    const subscriber = connect(this.options.url, this.logger, 'subscriber');
    subscriber.on('message', (channel: string) => this.watches.get(channel)?.relist());
    // Messages published while the connection was down are lost: relist everything once it is back.
    subscriber.on('ready', () => {
      for (const watch of this.watches.values()) watch.relist();
    });
    this.subscriber = subscriber;
    return subscriber;
  }
}

/** One service's watch: relists on demand, never two at once, and schedules the next relist at the next expiry. */
class RedisWatch {
  private running = false;
  private again = false;
  private closed = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly keys: ServiceKeys,
    private readonly sink: WatchSink,
    private readonly redis: Redis,
    private readonly maxRelistMs: number,
  ) {}

  relist(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    clearTimeout(this.timer);
    void this.redis.discoveryList(this.keys.instances, this.keys.expiry).then(
      (reply) => this.listed(reply),
      (error: unknown) => this.failed(error as Error),
    );
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private listed([now, ...triples]: string[]): void {
    const entries: RegistryEntry[] = [];
    let nextExpiry = Infinity;
    for (let index = 0; index + 2 < triples.length; index += 3) {
      const [id, value, expiry] = [triples[index]!, triples[index + 1]!, Number(triples[index + 2])];
      entries.push({ id, value: parseJson(value) });
      nextExpiry = Math.min(nextExpiry, expiry);
    }
    this.sink.update(entries);
    // Relist just after the earliest entry would expire: if its heartbeat came, nothing changes.
    const untilExpiry = nextExpiry - Number(now) + 50;
    this.finish(Math.max(100, Math.min(untilExpiry, this.maxRelistMs)));
  }

  private failed(error: Error): void {
    this.sink.unreachable(error);
    this.finish(1_000);
  }

  private finish(nextInMs: number): void {
    this.running = false;
    if (this.closed) return;
    if (this.again) {
      this.again = false;
      this.relist();
      return;
    }
    this.timer = setTimeout(() => this.relist(), nextInMs);
  }
}

/** A value that is not JSON is passed on as text, for validation to reject and log. */
function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
