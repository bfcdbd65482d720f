import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '@portico/auth';
import { ProblemException } from '@portico/errors';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult } from '@nestjs/terminus';
import { READINESS_CHECKS, ReadinessGate, type ReadinessCheck } from './readiness.js';

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly gate: ReadinessGate,
    @Inject(READINESS_CHECKS) private readonly checks: readonly ReadinessCheck[],
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP', security: [] })
  @ApiResponse({ status: 200, description: 'The process is alive' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: every backend this instance needs answers, and it is not draining', security: [] })
  @ApiResponse({ status: 200, description: 'Ready to take traffic' })
  @ApiResponse({ status: 503, description: 'Not ready (draining, or a dependency is down); problem+json with per-check details' })
  async ready(): Promise<HealthCheckResult> {
    if (this.gate.draining) {
      throw new ProblemException({
        status: 503,
        slug: 'draining',
        title: 'Draining',
        detail: 'this instance is shutting down and takes no new traffic',
      });
    }
    try {
      return await this.health.check(this.checks.map((check) => () => this.probe(check)));
    } catch (error) {
      const details = (error as { response?: HealthCheckResult }).response?.details;
      throw new ProblemException({
        status: 503,
        slug: 'not-ready',
        title: 'Not ready',
        detail: `unavailable: ${Object.entries(details ?? {})
          .filter(([, result]) => result.status !== 'up')
          .map(([name]) => name)
          .join(', ')}`,
        extensions: { checks: details },
      });
    }
  }

  private async probe(check: ReadinessCheck) {
    const session = this.indicator.check(check.name);
    try {
      const detail = await check.probe();
      return session.up(detail ?? undefined);
    } catch (error) {
      return session.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }
}
