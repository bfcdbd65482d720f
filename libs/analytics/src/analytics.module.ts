import { Module, type BeforeApplicationShutdown, type DynamicModule } from '@nestjs/common';
import { Metrics } from '@portico/observability';
import { REDIS } from '@portico/redis';
import type { Redis } from 'ioredis';
import { SessionEventLogMetrics } from './analytics.metrics.js';
import { MemorySessionAnalytics } from './memory-session-analytics.js';
import { RedisSessionEventLog, type RedisSessionEventLogOptions } from './redis-session-event-log.js';
import { RedisSessionStats } from './redis-session-stats.js';
import { SessionEventLog } from './session-event-log.js';
import { SessionStatsController } from './session-stats.controller.js';
import { SessionStatsReader } from './session-stats.js';

export type AnalyticsModuleOptions = Omit<RedisSessionEventLogOptions, 'retryMs'>;

/**
 * On shutdown, what is still buffered gets one more chance and a clean instance withdraws; before
 * the shared Redis connection closes (it closes in onApplicationShutdown).
 */
class EventLogLifecycle implements BeforeApplicationShutdown {
  constructor(private readonly log: SessionEventLog) {}

  async beforeApplicationShutdown(): Promise<void> {
    if (this.log instanceof RedisSessionEventLog) await this.log.close();
  }
}

/**
 * The gateway side of session analytics: `SessionEventLog` (the socket hub's observer) appending to
 * the stream, and `GET /api/v1/analytics/sessions` reading the worker's aggregates. Without Redis both
 * are one in-process `MemorySessionAnalytics`.
 */
@Module({})
export class AnalyticsModule {
  static forRoot(options: AnalyticsModuleOptions): DynamicModule {
    return {
      module: AnalyticsModule,
      controllers: [SessionStatsController],
      providers: [
        {
          provide: SessionEventLog,
          inject: [REDIS, Metrics],
          useFactory: (redis: Redis | undefined, metrics: Metrics) =>
            redis ? new RedisSessionEventLog(redis, options, new SessionEventLogMetrics(metrics.registry)) : new MemorySessionAnalytics(),
        },
        {
          provide: SessionStatsReader,
          inject: [REDIS, SessionEventLog],
          useFactory: (redis: Redis | undefined, log: SessionEventLog) =>
            redis ? new RedisSessionStats(redis, options.stream) : (log as MemorySessionAnalytics),
        },
        { provide: EventLogLifecycle, inject: [SessionEventLog], useFactory: (log: SessionEventLog) => new EventLogLifecycle(log) },
      ],
      exports: [SessionEventLog],
    };
  }
}
