import { Module, type DynamicModule, type FactoryProvider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { READINESS_CHECKS, ReadinessGate, type ReadinessCheck } from './readiness.js';

export interface HealthModuleOptions {
  /** Builds the readiness checks from the app's own providers (gRPC clients, Redis). */
  checks: Omit<FactoryProvider<readonly ReadinessCheck[]>, 'provide'>;
}

/** `/health/live` and `/health/ready` (public), with readiness that turns 503 as soon as shutdown begins. */
@Module({})
export class HealthModule {
  static forRoot(options: HealthModuleOptions): DynamicModule {
    return {
      module: HealthModule,
      global: true,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [ReadinessGate, { provide: READINESS_CHECKS, ...options.checks }],
      exports: [ReadinessGate],
    };
  }
}
