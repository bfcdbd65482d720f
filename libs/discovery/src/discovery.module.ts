import { Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { Listening } from '@portico/lifecycle';
import type { DiscoveryProvider } from './discovery-provider.js';
import type { DiscoverySettings } from './discovery-config.js';
import { createProvider } from './providers/create-provider.js';
import { SelfRegistration } from './self-registration.js';
import { ServiceDirectory } from './service-directory.js';
import { ServicesController } from './services.controller.js';
import { ServiceDiscovery } from './service-discovery.js';
import type { ServiceInstance } from './service-instance.js';

const PROVIDER = Symbol('DISCOVERY_PROVIDER');

class DiscoveryLifecycle implements OnApplicationShutdown {
  constructor(
    private readonly discovery: ServiceDiscovery,
    private readonly directory: ServiceDirectory,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.directory.close();
    await this.discovery.close();
  }
}

/**
 * Registers the app on bootstrap and withdraws it when shutdown begins (`onModuleDestroy` runs
 * before the gRPC server stops accepting), so gateways stop sending before any call can be refused.
 */
class RegistrationLifecycle implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  constructor(
    private readonly registration: SelfRegistration | undefined,
    private readonly provider: DiscoveryProvider,
    private readonly listening: Listening | undefined,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Bootstrap runs before the server listens: registering then would send gateways to a closed port.
    if (this.listening) void this.listening.ready.then(() => this.registration?.start());
    else await this.registration?.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.registration?.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.provider.close();
  }
}

@Module({})
export class DiscoveryModule {
  /**
   * For apps that call services: `ServiceDiscovery` over the configured provider, the
   * `ServiceDirectory` client pools join, and `GET /admin/services`.
   */
  static forRoot(settings: DiscoverySettings): DynamicModule {
    return {
      module: DiscoveryModule,
      global: true,
      controllers: [ServicesController],
      providers: [
        {
          provide: ServiceDiscovery,
          useFactory: async () => new ServiceDiscovery(await createProvider(settings)),
        },
        {
          provide: ServiceDirectory,
          inject: [ServiceDiscovery],
          useFactory: (discovery: ServiceDiscovery) => new ServiceDirectory(discovery),
        },
        {
          provide: DiscoveryLifecycle,
          inject: [ServiceDiscovery, ServiceDirectory],
          useFactory: (discovery: ServiceDiscovery, directory: ServiceDirectory) => new DiscoveryLifecycle(discovery, directory),
        },
      ],
      exports: [ServiceDiscovery, ServiceDirectory],
    };
  }

  /**
   * For service apps: importing it registers `instance` with the configured provider, keeps it
   * alive by heartbeat and withdraws it on shutdown. Providers whose platform registers instances
   * (static, dns, kubernetes) make it a no-op.
   */
  static forService(settings: DiscoverySettings, instance: ServiceInstance): DynamicModule {
    return {
      module: DiscoveryModule,
      providers: [
        { provide: PROVIDER, useFactory: () => createProvider(settings) },
        {
          provide: RegistrationLifecycle,
          inject: [PROVIDER, { token: Listening, optional: true }],
          useFactory: (provider: DiscoveryProvider, listening: Listening | undefined) =>
            new RegistrationLifecycle(
              provider.registrar && new SelfRegistration(provider.registrar, instance, { ttlMs: settings.ttlMs }),
              provider,
              listening,
            ),
        },
      ],
    };
  }
}
