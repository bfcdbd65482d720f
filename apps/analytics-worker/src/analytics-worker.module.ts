import { Module, type DynamicModule } from '@nestjs/common';
import { InstanceSweeper, SessionEventConsumer, StreamConsumerMetrics } from '@portico/analytics';
import { Metrics, ObservabilityModule } from '@portico/observability';
import { REDIS, RedisModule } from '@portico/redis';
import type { Redis } from 'ioredis';
import { Gauge } from 'prom-client';
import type { AnalyticsWorkerEnvironment } from './analytics-worker.config.js';
import { AnalyticsWorker } from './analytics-worker.js';

/** Blocking reads get their own connection; closed with the app. */
class BlockingConnection {
  constructor(readonly redis: Redis) {}

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}

function backlogGauges(metrics: Metrics, consumer: SessionEventConsumer): void {
  // Read from Redis at scrape time; a failed read leaves the last values rather than failing the scrape.
  let last = { pending: 0, lag: 0 };
  const read = async () => (last = await consumer.backlog().catch(() => last));
  new Gauge({
    name: 'analytics_worker_pending',
    help: 'Entries delivered to the group but not yet acknowledged (all consumers).',
    registers: [metrics.registry],
    async collect() {
      this.set((await read()).pending);
    },
  });
  new Gauge({
    name: 'analytics_worker_lag',
    help: 'Entries in the stream not yet delivered to the group.',
    registers: [metrics.registry],
    async collect() {
      this.set((await read()).lag);
    },
  });
}

@Module({})
export class AnalyticsWorkerModule {
  static forRoot(env: AnalyticsWorkerEnvironment): DynamicModule {
    return {
      module: AnalyticsWorkerModule,
      imports: [ObservabilityModule.forRoot({ level: env.LOG_LEVEL, pretty: process.stdout.isTTY }), RedisModule.forRoot({ url: env.REDIS_URL })],
      providers: [
        { provide: BlockingConnection, inject: [REDIS], useFactory: (redis: Redis) => new BlockingConnection(redis.duplicate()) },
        {
          provide: AnalyticsWorker,
          inject: [REDIS, BlockingConnection, Metrics],
          useFactory: (redis: Redis, blocking: BlockingConnection, metrics: Metrics) => {
            const consumer = new SessionEventConsumer(
              redis,
              blocking.redis,
              {
                stream: env.ANALYTICS_STREAM,
                group: env.ANALYTICS_GROUP,
                consumer: env.ANALYTICS_CONSUMER,
                batchSize: env.ANALYTICS_BATCH_SIZE,
                blockMs: env.ANALYTICS_BLOCK_MS,
                claimIdleMs: env.ANALYTICS_CLAIM_IDLE_MS,
                dedupeWindowMs: env.ANALYTICS_DEDUPE_WINDOW_MS,
              },
              new StreamConsumerMetrics(metrics.registry),
            );
            backlogGauges(metrics, consumer);
            const sweeper = new InstanceSweeper(redis, {
              stream: env.ANALYTICS_STREAM,
              maxLength: env.ANALYTICS_STREAM_MAXLEN,
              instanceTtlMs: env.ANALYTICS_INSTANCE_TTL_MS,
            });
            return new AnalyticsWorker(consumer, sweeper, env.ANALYTICS_SWEEP_INTERVAL_MS);
          },
        },
      ],
    };
  }
}
