export { REDIS, RedisModule, type RedisOptions } from './redis.module.js';
export { redisReadiness } from './redis-readiness.js';
