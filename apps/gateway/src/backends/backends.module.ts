import { Module, type DynamicModule } from '@nestjs/common';
import { PLAYER_SERVICE, playerV1, TABLE_SERVICE, tableV1 } from '@portico/contracts';
import { ServiceDirectory } from '@portico/discovery';
import { GrpcPoolMetrics, GrpcServicePool, type GrpcServicePoolOptions } from '@portico/grpc';
import { Metrics } from '@portico/observability';
import { PlayerBackend } from './player-backend.js';
import { TableBackend } from './table-backend.js';

/** How every backend pool balances, probes and ejects instances. */
export type BackendPoolOptions = Pick<GrpcServicePoolOptions, 'balancer' | 'healthCheck' | 'circuitBreaker' | 'prefer'>;

/**
 * The gRPC services the gateway aggregates, each a pool over its discovered instances. The
 * factories wait for discovery's first answer, so the app starts knowing where its backends are.
 */
@Module({})
export class BackendsModule {
  static forRoot(options: BackendPoolOptions): DynamicModule {
    return {
      module: BackendsModule,
      global: true,
      providers: [
        { provide: GrpcPoolMetrics, inject: [Metrics], useFactory: (metrics: Metrics) => new GrpcPoolMetrics(metrics) },
        {
          provide: PlayerBackend,
          inject: [ServiceDirectory, GrpcPoolMetrics],
          useFactory: async (directory: ServiceDirectory, metrics: GrpcPoolMetrics) => {
            const pool = new GrpcServicePool(playerV1.PlayerServiceClient, {
              ...options,
              service: 'player-service',
              healthService: PLAYER_SERVICE,
              metrics,
            });
            await directory.add(pool, { required: true });
            return new PlayerBackend(pool);
          },
        },
        {
          provide: TableBackend,
          inject: [ServiceDirectory, GrpcPoolMetrics],
          useFactory: async (directory: ServiceDirectory, metrics: GrpcPoolMetrics) => {
            const pool = new GrpcServicePool(tableV1.TableServiceClient, {
              ...options,
              service: 'table-service',
              healthService: TABLE_SERVICE,
              metrics,
            });
            await directory.add(pool, { required: true });
            return new TableBackend(pool);
          },
        },
      ],
      exports: [PlayerBackend, TableBackend],
    };
  }
}
