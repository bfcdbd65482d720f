import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '@portico/auth';
import { ProblemException } from '@portico/errors';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult, type HealthIndicatorResult } from '@nestjs/terminus';
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
  @ApiOperation({
    summary: 'Readiness: every backend this instance needs answers, and it is not draining',
    description: 'Dependencies the instance can serve without are listed too; when they are down they show in `error` while the status stays ok.',
    security: [],
  })
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
    const soft = Promise.all(this.checks.filter((check) => check.required === false).map((check) => this.probe(check)));
    try {
      const result = await this.health.check(this.checks.filter((check) => check.required !== false).map((check) => () => this.probe(check)));
      for (const [name, state] of Object.entries(Object.assign({}, ...(await soft)) as HealthIndicatorResult)) {
        result.details[name] = state;
        Object.assign(state.status === 'up' ? (result.info ??= {}) : (result.error ??= {}), { [name]: state });
      }
      return result;
    } catch (error) {
      const details = { ...(error as { response?: HealthCheckResult }).response?.details, ...Object.assign({}, ...(await soft)) } as HealthIndicatorResult;
      throw new ProblemException({
        status: 503,
        slug: 'not-ready',
        title: 'Not ready',
        detail: `unavailable: ${Object.entries(details)
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
