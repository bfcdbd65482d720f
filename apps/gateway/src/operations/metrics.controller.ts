import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@portico/auth';
import { Metrics } from '@portico/observability';
import type { FastifyReply } from 'fastify';

// Prometheus text format is not an API resource; it stays out of the OpenAPI document.
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  @Header('cache-control', 'no-store')
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const { contentType, body } = await this.metrics.exposition();
    await reply.type(contentType).send(body);
  }
}
