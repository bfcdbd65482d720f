import type { Redis } from 'ioredis';

/**
 * Closes a connection without waiting on a Redis that is away: QUIT when connected, so replies
 * already on their way arrive first; otherwise a plain disconnect, because a QUIT queued for a
 * server that never comes back would hold the shutdown (and with `maxRetriesPerRequest: null`,
 * forever).
 */
export async function closeConnection(redis: Redis): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  await redis.quit().catch(() => redis.disconnect());
}
