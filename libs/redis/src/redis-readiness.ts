import type { Redis } from 'ioredis';

/** Readiness probe for the shared connection: a PING that must answer. */
export function redisReadiness(redis: Redis): { name: string; probe(): Promise<void> } {
  return {
    name: 'redis',
    async probe() {
      await redis.ping();
    },
  };
}
