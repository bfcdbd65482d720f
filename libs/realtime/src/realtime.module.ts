import { Module, type DynamicModule } from '@nestjs/common';
import { Metrics } from '@portico/observability';
import { REDIS } from '@portico/redis';
import type { Redis } from 'ioredis';
import { MemoryPresenceRegistry, RedisPresenceRegistry } from './presence-registry.js';
import { InProcessRealtimeBus, RedisRealtimeBus } from './realtime-bus.js';
import { PRESENCE_REGISTRY, REALTIME_BUS, RealtimeGateway } from './realtime.gateway.js';
import { RealtimeMetrics } from './realtime.metrics.js';
import { REALTIME_OPTIONS, REALTIME_RULES, type RealtimeModuleOptions } from './realtime-options.js';
import { NO_SESSION_OBSERVER, SESSION_OBSERVER } from './session-observer.js';
import { INSTANCE_ID } from './instance-id.js';

/**
 * The `/realtime` socket namespace. With Redis, rooms, presence, connection caps and published events
 * span every instance; without it, one process holds them all. Needs AuthModule, RedisModule,
 * RateLimitModule and ObservabilityModule, and `attachRealtime(app)` before listening.
 */
@Module({})
export class RealtimeModule {
  static forRoot({ options, rules, imports, sessionObserver }: RealtimeModuleOptions): DynamicModule {
    return {
      module: RealtimeModule,
      imports: imports ?? [],
      providers: [
        { provide: REALTIME_OPTIONS, useValue: options },
        { provide: INSTANCE_ID, useValue: options.instanceId },
        { provide: REALTIME_RULES, ...rules },
        sessionObserver ? { provide: SESSION_OBSERVER, ...sessionObserver } : { provide: SESSION_OBSERVER, useValue: NO_SESSION_OBSERVER },
        { provide: RealtimeMetrics, inject: [Metrics], useFactory: (metrics: Metrics) => new RealtimeMetrics(metrics.registry) },
        {
          provide: PRESENCE_REGISTRY,
          inject: [REDIS],
          useFactory: (redis: Redis | undefined) =>
            redis ? new RedisPresenceRegistry(redis, options.instanceId, options.presenceTtlMs) : new MemoryPresenceRegistry(),
        },
        {
          provide: REALTIME_BUS,
          inject: [REDIS],
          useFactory: (redis: Redis | undefined) => (redis ? new RedisRealtimeBus(redis) : new InProcessRealtimeBus()),
        },
        RealtimeGateway,
      ],
      exports: [REALTIME_OPTIONS, INSTANCE_ID, PRESENCE_REGISTRY, REALTIME_BUS, SESSION_OBSERVER, RealtimeGateway],
    };
  }
}
