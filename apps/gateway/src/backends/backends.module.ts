import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { PLAYER_SERVICE, playerV1, TABLE_SERVICE, tableV1 } from '@portico/contracts';
import { GrpcUpstream } from '@portico/grpc';
import type { ReadinessCheck } from '@portico/health';
import { Metrics } from '@portico/observability';
import { grpcReadiness } from './grpc-readiness.js';
import { PlayerBackend } from './player-backend.js';
import { TableBackend } from './table-backend.js';

export interface BackendAddresses {
  player: string;
  table: string;
}

/** Readiness checks for every backend, for the health module to run. */
export class BackendReadiness implements OnApplicationShutdown {
  readonly checks: ReturnType<typeof grpcReadiness>[];

  constructor(addresses: BackendAddresses) {
    this.checks = [
      grpcReadiness('player-service', addresses.player, PLAYER_SERVICE),
      grpcReadiness('table-service', addresses.table, TABLE_SERVICE),
    ];
  }

  get all(): readonly ReadinessCheck[] {
    return this.checks;
  }

  onApplicationShutdown(): void {
    for (const check of this.checks) check.close();
  }
}

/** The gRPC services the gateway aggregates, one long-lived instrumented channel each. */
@Module({})
export class BackendsModule {
  static forRoot(addresses: BackendAddresses): DynamicModule {
    return {
      module: BackendsModule,
      global: true,
      providers: [
        {
          provide: PlayerBackend,
          inject: [Metrics],
          useFactory: (metrics: Metrics) =>
            new PlayerBackend(
              new GrpcUpstream(playerV1.PlayerServiceClient, { upstream: 'player-service', address: addresses.player, metrics }),
            ),
        },
        {
          provide: TableBackend,
          inject: [Metrics],
          useFactory: (metrics: Metrics) =>
            new TableBackend(
              new GrpcUpstream(tableV1.TableServiceClient, { upstream: 'table-service', address: addresses.table, metrics }),
            ),
        },
        { provide: BackendReadiness, useFactory: () => new BackendReadiness(addresses) },
      ],
      exports: [PlayerBackend, TableBackend, BackendReadiness],
    };
  }
}
