import { Global, Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { pinoParams, type LoggingOptions } from './logging.js';
import { Metrics } from './metrics.js';

/** Structured logs with the request id on every line, and the process's metrics registry. */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(logging: LoggingOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [LoggerModule.forRoot(pinoParams(logging))],
      providers: [Metrics],
      exports: [Metrics],
    };
  }
}
