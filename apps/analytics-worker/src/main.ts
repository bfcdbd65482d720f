import 'reflect-metadata';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { runWithConfig } from '@portico/config';
import { onShutdownSignal } from '@portico/lifecycle';
import { Metrics } from '@portico/observability';
import { Logger } from 'nestjs-pino';
import { analyticsWorkerEnvironment, type AnalyticsWorkerEnvironment } from './analytics-worker.config.js';
import { AnalyticsWorker } from './analytics-worker.js';
import { AnalyticsWorkerModule } from './analytics-worker.module.js';
import { WorkerProbes } from './worker-probes.js';

async function start(env: AnalyticsWorkerEnvironment): Promise<void> {
  // An application context, not an HTTP app: the worker's only endpoints are its probes.
  const app = await NestFactory.createApplicationContext(AnalyticsWorkerModule.forRoot(env), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  const logger = new NestLogger('bootstrap');
  const worker = app.get(AnalyticsWorker);
  const probes = new WorkerProbes(app.get(Metrics).registry);
  const port = await probes.listen(env.ANALYTICS_WORKER_PORT);
  worker.start();
  logger.log({ port, stream: env.ANALYTICS_STREAM, group: env.ANALYTICS_GROUP, consumer: env.ANALYTICS_CONSUMER }, 'analytics worker started');

  onShutdownSignal(
    async () => {
      await worker.stop();
      await probes.close();
      await app.close();
    },
    { timeoutMs: env.SHUTDOWN_TIMEOUT_MS },
  );
}

await runWithConfig(analyticsWorkerEnvironment, start);
