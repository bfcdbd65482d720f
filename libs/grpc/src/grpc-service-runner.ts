import { Module, Logger as NestLogger, type BeforeApplicationShutdown, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { delay, Listening, onShutdownSignal } from '@portico/lifecycle';
import { Logger } from 'nestjs-pino';
import { GrpcRequestLogger } from './grpc-request-logger.interceptor.js';
import { grpcServerOptions, ServingStatus, type GrpcServiceDefinition } from './grpc-server.js';

export interface GrpcServiceRun {
  module: DynamicModule;
  url: string;
  service: GrpcServiceDefinition;
  includeDir: string;
  /** Time between reporting NOT_SERVING (and deregistering) and closing, so clients move traffic away first. */
  drainDelayMs: number;
  shutdownTimeoutMs: number;
}

/**
 * Waits out the drain delay inside Nest's shutdown, after every module's `onModuleDestroy` (where
 * a registration withdraws the instance) and before the server stops accepting calls.
 */
class DrainDelay implements BeforeApplicationShutdown {
  constructor(private readonly ms: number) {}

  async beforeApplicationShutdown(): Promise<void> {
    await delay(this.ms);
  }
}

@Module({})
class GrpcServiceRoot {}

/** Boots a Nest gRPC microservice with grpc.health.v1, per-call logging and a graceful drain on SIGTERM. */
export async function runGrpcService(run: GrpcServiceRun): Promise<void> {
  const health = new ServingStatus(run.service.serviceName);
  const listening = new Listening();
  const root: DynamicModule = {
    module: GrpcServiceRoot,
    global: true,
    imports: [run.module],
    providers: [
      { provide: DrainDelay, useValue: new DrainDelay(run.drainDelayMs) },
      { provide: Listening, useValue: listening },
    ],
    exports: [Listening],
  };
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(root, {
    ...grpcServerOptions({ url: run.url, service: run.service, includeDir: run.includeDir, health }),
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.useGlobalInterceptors(new GrpcRequestLogger());
  await app.listen();
  listening.markListening();
  const logger = new NestLogger('bootstrap');
  logger.log({ url: run.url, service: run.service.serviceName }, 'gRPC service listening');
  onShutdownSignal(
    async () => {
      // NOT_SERVING first, so health-checking clients move away even where nothing watches a registry.
      health.drain();
      await app.close();
    },
    { timeoutMs: run.shutdownTimeoutMs },
  );
}
