import type { Server } from '@grpc/grpc-js';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { HealthImplementation } from 'grpc-health-check';

export interface GrpcServiceDefinition {
  /** Proto package, e.g. `portico.player.v1`. */
  package: string;
  protoPath: string;
  /** Fully qualified service name reported through grpc.health.v1. */
  serviceName: string;
}

export interface GrpcServerOptions {
  /** `host:port` to listen on. */
  url: string;
  service: GrpcServiceDefinition;
  /** Directory imports inside the proto resolve against. */
  includeDir: string;
  health: ServingStatus;
}

/**
 * grpc.health.v1 for one service plus the server-wide entry (""), so load balancers and the
 * gateway's readiness see a draining instance as NOT_SERVING before it stops accepting calls.
 */
export class ServingStatus {
  readonly implementation: HealthImplementation;

  constructor(private readonly serviceName: string) {
    this.implementation = new HealthImplementation({ '': 'SERVING', [serviceName]: 'SERVING' });
  }

  drain(): void {
    this.implementation.setStatus('', 'NOT_SERVING');
    this.implementation.setStatus(this.serviceName, 'NOT_SERVING');
  }
}

// keepCase false and plain numbers give messages the exact shape the ts-proto types in @portico/contracts describe.
const LOADER_OPTIONS = { keepCase: false, longs: Number, enums: Number, defaults: true, oneofs: true } as const;

export function grpcServerOptions(options: GrpcServerOptions): GrpcOptions {
  return {
    transport: Transport.GRPC,
    options: {
      url: options.url,
      // Let calls in flight finish when the server closes, instead of cutting them off (Nest's default).
      gracefulShutdown: true,
      package: options.service.package,
      protoPath: options.service.protoPath,
      loader: { ...LOADER_OPTIONS, includeDirs: [options.includeDir] },
      onLoadPackageDefinition: (_definition: unknown, server: Server) => {
        options.health.implementation.addToServer(server);
      },
    },
  };
}
