import type { Redis } from 'ioredis';

/**
 * Readiness probe for the shared connection: a PING that must answer. The reason stays free of
 * addresses. `required: false` reports an outage without failing readiness, for instances that
 * degrade gracefully without Redis.
 */
export function redisReadiness(redis: Redis, required = true): { name: string; required: boolean; probe(): Promise<void> } {
  return {
    name: 'redis',
    required,
    async probe() {
      await redis.ping().catch(() => {
        throw new Error(`no answer to PING (connection ${redis.status})`);
      });
    },
  };
}
