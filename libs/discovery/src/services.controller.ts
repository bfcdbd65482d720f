import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@portico/auth';
import { ApiProblemResponses } from '@portico/errors';
import { z } from 'zod';
import { ServiceDirectory } from './service-directory.js';

const ServiceListSchema = z
  .object({
    provider: z.string().describe('The DISCOVERY provider in use'),
    services: z.array(
      z.object({
        name: z.string(),
        required: z.boolean().describe('Readiness needs at least one serving instance of it'),
        registry: z.object({
          state: z.enum(['pending', 'live', 'unreachable']).describe('unreachable: the last known instances stay in use'),
          since: z.iso.datetime(),
          error: z.string().optional(),
        }),
        instances: z.array(
          z.object({
            address: z.string(),
            metadata: z.record(z.string(), z.string()),
            weight: z.number(),
            health: z.enum(['healthy', 'unhealthy', 'unknown']),
            circuit: z.enum(['closed', 'open', 'half-open']),
            inFlight: z.number().int(),
            errorRate: z.number().describe('Failed share of the calls of about the last minute'),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'ServiceList' });

type ServiceList = z.infer<typeof ServiceListSchema>;

/** The discovered services this instance calls; admins only. */
@ApiTags('admin')
@Roles('admin')
@ApiProblemResponses(401, 403)
@Controller('admin')
export class ServicesController {
  constructor(private readonly directory: ServiceDirectory) {}

  @Get('services')
  @ApiOperation({ summary: 'Every discovered service with its instances, health, circuit, in-flight calls and error rate' })
  @ApiOkResponse({ standardSchema: ServiceListSchema, description: 'What this instance knows of each service it calls' })
  services(): ServiceList {
    return { provider: this.directory.provider, services: this.directory.report() };
  }
}
