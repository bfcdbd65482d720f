import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentRequestScope, type RequestScope } from '@portico/aggregation';
import { Cache } from '@portico/cache';
import { ApiProblemResponses } from '@portico/errors';
import { GetLobby } from './get-lobby.use-case.js';
import { LobbySchema, type Lobby } from './lobby.schema.js';

@ApiTags('lobby')
@ApiBearerAuth()
@Controller({ path: 'lobby', version: '1' })
export class LobbyController {
  constructor(private readonly getLobby: GetLobby) {}

  @Get()
  // Per user (the default for authenticated callers), briefly: seats change, and joins invalidate `tables`.
  @Cache({ ttl: '5s', varyBy: ['user'], tags: ['tables'], staleWhileRevalidate: '5s' })
  @ApiOperation({
    summary: 'Every table with its seated players',
    description: 'ListTables (required) fanned out with BatchGetPlayers (optional): without player-service the answer is partial, with null names.',
  })
  @ApiOkResponse({ standardSchema: LobbySchema, description: 'The lobby; `partial` is true when player names are missing' })
  @ApiProblemResponses(401, 502, 503, 504)
  lobby(@CurrentRequestScope() scope: RequestScope): Promise<Lobby> {
    return this.getLobby.execute(scope);
  }
}
