import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '@portico/errors';
import { PRESENCE_REGISTRY, type PresenceRegistry } from '@portico/realtime';
import { PresenceSchema, type Presence } from './presence.schema.js';

@ApiTags('realtime')
@ApiBearerAuth()
@Controller({ path: 'presence', version: '1' })
export class PresenceController {
  constructor(@Inject(PRESENCE_REGISTRY) private readonly presence: PresenceRegistry) {}

  @Get()
  @ApiOperation({ summary: 'How many users are online', description: 'Counted across every gateway instance; a crashed instance’s users drop out once its presence TTL passes.' })
  @ApiOkResponse({ standardSchema: PresenceSchema, description: 'The online count' })
  @ApiProblemResponses(401, 503)
  async online(): Promise<Presence> {
    return { online: await this.presence.online() };
  }
}
