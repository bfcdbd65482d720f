import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentRequestScope, type RequestScope } from '@portico/aggregation';
import { CurrentPrincipal, type Principal } from '@portico/auth';
import { ApiProblemResponses } from '@portico/errors';
import { GetMe } from './get-me.use-case.js';
import { MeSchema, type Me } from './me.schema.js';

@ApiTags('players')
@ApiBearerAuth()
@Controller({ path: 'me', version: '1' })
export class MeController {
  constructor(private readonly getMe: GetMe) {}

  @Get()
  @ApiOperation({
    summary: "The caller's profile, statistics and tables",
    description: 'The player is the token subject. GetPlayer is required; GetStats and ListTables are optional.',
  })
  @ApiOkResponse({ standardSchema: MeSchema, description: 'The caller; `partial` is true when stats or tables are missing' })
  @ApiProblemResponses(401, 404, 502, 503, 504)
  me(@CurrentPrincipal() principal: Principal, @CurrentRequestScope() scope: RequestScope): Promise<Me> {
    return this.getMe.execute(principal.sub, scope);
  }
}
