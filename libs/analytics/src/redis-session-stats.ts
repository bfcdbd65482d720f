import type { Redis } from 'ioredis';
import { AnalyticsKeys } from './analytics-keys.js';
import { daysBetween, SessionStatsReader, statsOf, tallyOfHash, type SessionStats } from './session-stats.js';

/** Reads the aggregates the analytics worker maintains: two pipelined round trips per request. */
export class RedisSessionStats extends SessionStatsReader {
  private readonly keys: AnalyticsKeys;

  constructor(
    private readonly redis: Redis,
    stream: string,
  ) {
    super();
    this.keys = new AnalyticsKeys(stream);
  }

  async read(from: string, to: string): Promise<SessionStats[]> {
    const days = daysBetween(from, to);
    const members = await this.pipelined(days.map((day) => ['smembers', this.keys.clientTypes(day)]));
    const pairs = days.flatMap((day, index) => (members[index] as string[]).sort().map((clientType) => ({ day, clientType })));
    if (pairs.length === 0) return [];
    const hashes = await this.pipelined(pairs.map(({ day, clientType }) => ['hgetall', this.keys.aggregate(day, clientType)]));
    return pairs.map(({ day, clientType }, index) => statsOf(day, clientType, tallyOfHash(hashes[index] as Record<string, string>)));
  }

  private async pipelined(commands: string[][]): Promise<unknown[]> {
    const results = (await this.redis.pipeline(commands).exec()) ?? [];
    return results.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
  }
}
