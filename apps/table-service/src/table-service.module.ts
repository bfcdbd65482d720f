import { Module, type DynamicModule } from '@nestjs/common';
import { announcedInstance, DiscoveryModule, discoverySettings } from '@portico/discovery';
import { ObservabilityModule } from '@portico/observability';
import { RedisModule } from '@portico/redis';
import type { TableServiceEnvironment } from './table-service.config.js';
import { TableController } from './tables/table.controller.js';
import { TableEvents } from './tables/table-events.js';
import { TableRegistry } from './tables/table-registry.js';

@Module({})
export class TableServiceModule {
  static forRoot(env: TableServiceEnvironment): DynamicModule {
    return {
      module: TableServiceModule,
      imports: [
        ObservabilityModule.forRoot({ level: env.LOG_LEVEL, pretty: process.stdout.isTTY }),
        RedisModule.forRoot({ ...(env.REDIS_URL !== undefined && { url: env.REDIS_URL }) }),
        DiscoveryModule.forService(discoverySettings(env), announcedInstance('table-service', env.TABLE_SERVICE_URL, env)),
      ],
      controllers: [TableController],
      providers: [TableRegistry, TableEvents],
    };
  }
}
