import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AnalyticsModule, SessionEventLog } from '@portico/analytics';
import { AuthModule } from '@portico/auth';
import { CacheModule } from '@portico/cache';
import { DiscoveryModule, ServiceDirectory } from '@portico/discovery';
import { ProblemFilter, ProblemValidationPipe } from '@portico/errors';
import { HealthModule } from '@portico/health';
import { ObservabilityModule } from '@portico/observability';
import { RateLimitModule } from '@portico/rate-limit';
import { REDIS, RedisModule, redisReadiness } from '@portico/redis';
import { REALTIME_BUS, RealtimeModule, SOCKET_IO_PATH, type RealtimeBus } from '@portico/realtime';
import { RoutingModule, type RouteFile } from '@portico/routing';
import type { Redis } from 'ioredis';
import { BackendsModule } from './backends/backends.module.js';
import { PlayerBackend } from './backends/player-backend.js';
import { TableBackend } from './backends/table-backend.js';
import { analyticsOptions, authOptions, backendPools, cacheOptions, gatewayDiscovery, rateLimitOptions, realtimeOptions, type GatewayEnvironment } from './gateway-config.js';
import { GetLobby } from './lobby/get-lobby.use-case.js';
import { LobbyController } from './lobby/lobby.controller.js';
import { GetMe } from './me/get-me.use-case.js';
import { MeController } from './me/me.controller.js';
import { MetricsController } from './operations/metrics.controller.js';
import { PresenceController } from './presence/presence.controller.js';
import { LocalTableEvents } from './realtime/local-table-events.js';
import { realtimeRules } from './realtime/realtime-rules.js';
import { RESERVED_PREFIXES } from './routes.js';
import { SourceDeadlines } from './source-deadlines.js';
import { GetTable, JoinTable, LeaveTable, TableDetailAssembler } from './tables/table-use-cases.js';
import { TablesController } from './tables/tables.controller.js';

/** Composes the platform modules with the example domain's endpoints; all behaviour lives in the libs. */
@Module({})
export class GatewayModule {
  static forRoot(env: GatewayEnvironment, routes: RouteFile | undefined): DynamicModule {
    const deadlines = new SourceDeadlines(env.REQUIRED_SOURCE_TIMEOUT_MS, env.OPTIONAL_SOURCE_TIMEOUT_MS);
    const analytics = AnalyticsModule.forRoot(analyticsOptions(env));
    return {
      module: GatewayModule,
      imports: [
        ObservabilityModule.forRoot({ level: env.LOG_LEVEL, pretty: process.stdout.isTTY }),
        AuthModule.forRoot(authOptions(env)),
        RedisModule.forRoot({ ...(env.REDIS_URL !== undefined && { url: env.REDIS_URL }) }),
        // After AuthModule: global guards run in registration order, and per-user limits need the principal.
        RateLimitModule.forRoot(rateLimitOptions(env, RESERVED_PREFIXES)),
        CacheModule.forRoot(cacheOptions(env)),
        DiscoveryModule.forRoot(gatewayDiscovery(env)),
        BackendsModule.forRoot(backendPools(env)),
        RoutingModule.forRoot({
          routesFile: env.ROUTES_FILE,
          initial: routes,
          watch: env.ROUTES_WATCH,
          bodyLimitBytes: env.PROXY_BODY_LIMIT_BYTES,
          reservedPrefixes: RESERVED_PREFIXES,
          trustProxy: env.TRUST_PROXY,
          zone: env.ZONE,
          foreignUpgradePaths: [SOCKET_IO_PATH],
        }),
        analytics,
        RealtimeModule.forRoot({
          options: realtimeOptions(env),
          imports: [analytics],
          // Every socket session's start and end goes to the analytics stream.
          sessionObserver: { inject: [SessionEventLog], useFactory: (log: SessionEventLog) => log },
          rules: {
            // The bus lives inside RealtimeModule, so its rules build their own LocalTableEvents.
            inject: [TableBackend, REALTIME_BUS],
            useFactory: (tables: TableBackend, bus: RealtimeBus) => realtimeRules(tables, new LocalTableEvents(bus), deadlines),
          },
        }),
        HealthModule.forRoot({
          checks: {
            // The backends are injected only so their pools have joined the directory first.
            inject: [ServiceDirectory, REDIS, PlayerBackend, TableBackend],
            useFactory: (directory: ServiceDirectory, redis: Redis | undefined) => [
              ...directory.readiness(),
              // Fail-open rate limiting and cache bypass serve through a Redis outage; only fail-closed needs it.
              ...(redis ? [redisReadiness(redis, env.RATE_LIMIT_FAILURE_MODE === 'fail-closed')] : []),
            ],
          },
        }),
      ],
      controllers: [LobbyController, MeController, TablesController, MetricsController, PresenceController],
      providers: [
        { provide: SourceDeadlines, useValue: deadlines },
        GetLobby,
        GetMe,
        TableDetailAssembler,
        LocalTableEvents,
        GetTable,
        JoinTable,
        LeaveTable,
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useClass: ProblemValidationPipe },
      ],
    };
  }
}
