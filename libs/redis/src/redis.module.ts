import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { closeConnection } from './close-connection.js';

/** Injects the shared connection, or `undefined` when the app runs on in-memory stores (no REDIS_URL). */
export const REDIS = Symbol('REDIS');

export interface RedisOptions {
  url?: string;
}

class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis | undefined) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.redis) await closeConnection(this.redis);
  }
}

function connect(url: string): Redis {
  const logger = new Logger('redis');
  const redis = new Redis(url, {
    lazyConnect: false,
    // Fail commands fast while disconnected rather than queueing them behind a dead server; callers degrade instead.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
  });
  let lastError: string | undefined;
  redis.on('error', (error: Error) => {
    if (error.message !== lastError) logger.warn({ err: error }, 'redis connection error');
    lastError = error.message;
  });
  redis.on('ready', () => {
    lastError = undefined;
    logger.log('redis connected');
  });
  return redis;
}

/** One shared Redis connection for the platform's stores, when configured. */
@Module({})
export class RedisModule {
  static forRoot(options: RedisOptions): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      providers: [{ provide: REDIS, useFactory: () => (options.url ? connect(options.url) : undefined) }, RedisLifecycle],
      exports: [REDIS],
    };
  }
}
