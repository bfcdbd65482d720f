import type { Redis } from 'ioredis';

/** Readiness probe for the shared connection: a PING that must answer. The reason stays free of addresses. */
export function redisReadiness(redis: Redis): { name: string; probe(): Promise<void> } {
  return {
    name: 'redis',
    async probe() {
      await redis.ping().catch(() => {
        throw new Error(`no answer to PING (connection ${redis.status})`);
      });
    },
  };
}
