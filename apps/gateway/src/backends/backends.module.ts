import type { Client } from '@grpc/grpc-js';
import { Module, type DynamicModule, type FactoryProvider } from '@nestjs/common';
import { PLAYER_SERVICE, playerV1, TABLE_SERVICE, tableV1 } from '@portico/contracts';
import { ServiceDirectory } from '@portico/discovery';
import { GrpcPoolMetrics, GrpcServicePool, type ClientConstructor, type GrpcServicePoolOptions } from '@portico/grpc';
import { Metrics } from '@portico/observability';
import { PlayerBackend } from './player-backend.js';
import { TableBackend } from './table-backend.js';

/** How every backend pool balances, probes and ejects instances. */
export type BackendPoolOptions = Pick<GrpcServicePoolOptions, 'balancer' | 'healthCheck' | 'circuitBreaker' | 'prefer'>;

/**
 * A backend over a pool of the service's discovered instances, joined to the directory (readiness,
 * `/admin/services`). The factory waits for discovery's first answer, so the app starts knowing
 * where its backends are.
 */
function pooledBackend<C extends Client, Backend>(
  provide: new (pool: GrpcServicePool<C>) => Backend,
  Constructor: ClientConstructor<C>,
  service: string,
  healthService: string,
  options: BackendPoolOptions,
): FactoryProvider<Promise<Backend>> {
  return {
    provide,
    inject: [ServiceDirectory, GrpcPoolMetrics],
    useFactory: async (directory: ServiceDirectory, metrics: GrpcPoolMetrics) => {
      const pool = new GrpcServicePool(Constructor, { ...options, service, healthService, metrics });
      await directory.add(pool, { required: true });
      return new provide(pool);
    },
  };
}

/** The gRPC services the gateway aggregates, each a pool over its discovered instances. */
@Module({})
export class BackendsModule {
  static forRoot(options: BackendPoolOptions): DynamicModule {
    return {
      module: BackendsModule,
      global: true,
      providers: [
        { provide: GrpcPoolMetrics, inject: [Metrics], useFactory: (metrics: Metrics) => new GrpcPoolMetrics(metrics) },
        pooledBackend(PlayerBackend, playerV1.PlayerServiceClient, 'player-service', PLAYER_SERVICE, options),
        pooledBackend(TableBackend, tableV1.TableServiceClient, 'table-service', TABLE_SERVICE, options),
      ],
      exports: [PlayerBackend, TableBackend],
    };
  }
}
