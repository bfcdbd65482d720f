import { Logger as NestLogger, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { delay, onShutdownSignal } from '@portico/lifecycle';
import { Logger } from 'nestjs-pino';
import { GrpcRequestLogger } from './grpc-request-logger.interceptor.js';
import { grpcServerOptions, ServingStatus, type GrpcServiceDefinition } from './grpc-server.js';

export interface GrpcServiceRun {
  module: DynamicModule;
  url: string;
  service: GrpcServiceDefinition;
  includeDir: string;
  /** Time between reporting NOT_SERVING and closing, so clients' health checks move traffic away first. */
  drainDelayMs: number;
  shutdownTimeoutMs: number;
}

/** Boots a Nest gRPC microservice with grpc.health.v1, per-call logging and a graceful drain on SIGTERM. */
export async function runGrpcService(run: GrpcServiceRun): Promise<void> {
  const health = new ServingStatus(run.service.serviceName);
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(run.module, {
    ...grpcServerOptions({ url: run.url, service: run.service, includeDir: run.includeDir, health }),
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.useGlobalInterceptors(new GrpcRequestLogger());
  await app.listen();
  const logger = new NestLogger('bootstrap');
  logger.log({ url: run.url, service: run.service.serviceName }, 'gRPC service listening');
  onShutdownSignal(
    async () => {
      health.drain();
      await delay(run.drainDelayMs);
      await app.close();
    },
    { timeoutMs: run.shutdownTimeoutMs },
  );
}
