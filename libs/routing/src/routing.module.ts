import { Module, type DynamicModule } from '@nestjs/common';
import { AdminController } from './admin.controller.js';
import { EdgeProxy } from './edge-proxy.js';
import { RouteRegistry } from './route-registry.js';
import { ROUTING_OPTIONS, type RoutingOptions } from './routing-options.js';

/**
 * Declarative routes: the live route table, the proxy that serves it and the admin API. The
 * application registers the proxy on its Fastify instance (`app.get(EdgeProxy).register(...)`)
 * before it initialises.
 */
@Module({})
export class RoutingModule {
  static forRoot(options: RoutingOptions): DynamicModule {
    return {
      module: RoutingModule,
      providers: [{ provide: ROUTING_OPTIONS, useValue: options }, RouteRegistry, EdgeProxy],
      controllers: [AdminController],
      exports: [RouteRegistry, EdgeProxy],
    };
  }
}
