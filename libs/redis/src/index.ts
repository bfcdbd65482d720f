export { REDIS, RedisModule, type RedisOptions } from './redis.module.js';
export { redisReadiness } from './redis-readiness.js';
export { LuaScript, REDIS_NOW } from './lua-script.js';
export { closeConnection } from './close-connection.js';
