import { Module, type DynamicModule } from '@nestjs/common';
import { ObservabilityModule } from '@portico/observability';
import type { TableServiceEnvironment } from './table-service.config.js';
import { TableController } from './tables/table.controller.js';
import { TableRegistry } from './tables/table-registry.js';

@Module({})
export class TableServiceModule {
  static forRoot(env: TableServiceEnvironment): DynamicModule {
    return {
      module: TableServiceModule,
      imports: [ObservabilityModule.forRoot({ level: env.LOG_LEVEL, pretty: process.stdout.isTTY })],
      controllers: [TableController],
      providers: [TableRegistry],
    };
  }
}
