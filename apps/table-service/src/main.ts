import 'reflect-metadata';
import { runWithConfig } from '@portico/config';
import { protoRoot, TABLE_SERVICE, tableProtoPath } from '@portico/contracts';
import { runGrpcService } from '@portico/grpc';
import { tableServiceEnvironment } from './table-service.config.js';
import { TableServiceModule } from './table-service.module.js';

await runWithConfig(tableServiceEnvironment, (env) =>
  runGrpcService({
    module: TableServiceModule.forRoot(env),
    url: env.TABLE_SERVICE_URL,
    service: { package: 'portico.table.v1', protoPath: tableProtoPath, serviceName: TABLE_SERVICE },
    includeDir: protoRoot,
    drainDelayMs: env.SHUTDOWN_DRAIN_DELAY_MS,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  }),
);
