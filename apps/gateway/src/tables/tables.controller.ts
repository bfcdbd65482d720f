import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentRequestScope, type RequestScope } from '@portico/aggregation';
import { CurrentPrincipal, type Principal } from '@portico/auth';
import { Cache, InvalidatesCache } from '@portico/cache';
import { ApiProblemResponses } from '@portico/errors';
import { TableIdSchema } from '../aggregate.schema.js';
import { TableDetailSchema, type TableDetail } from './table.schema.js';
import { GetTable, JoinTable, LeaveTable } from './table-use-cases.js';

@ApiTags('tables')
@ApiBearerAuth()
@ApiParam({ name: 'id', description: 'Table id', example: 't1', schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } })
@Controller({ path: 'tables', version: '1' })
export class TablesController {
  constructor(
    private readonly getTable: GetTable,
    private readonly joinTable: JoinTable,
    private readonly leaveTable: LeaveTable,
  ) {}

  @Get(':id')
  // The same for every caller: a table's seats are no secret among signed-in players.
  @Cache({ ttl: '30s', public: true, tags: ['tables'] })
  @ApiOperation({ summary: 'One table with its seated players' })
  @ApiOkResponse({ standardSchema: TableDetailSchema, description: 'The table' })
  @ApiProblemResponses(400, 401, 404, 502, 503, 504)
  table(@Param('id', { schema: TableIdSchema }) id: string, @CurrentRequestScope() scope: RequestScope): Promise<TableDetail> {
    return this.getTable.execute(id, scope);
  }

  @Post(':id/join')
  @InvalidatesCache({ tags: ['tables'] })
  @HttpCode(200)
  @ApiOperation({ summary: 'Take a seat at a table, as the token subject', description: 'Idempotent: joining a table you sit at keeps your seat.' })
  @ApiOkResponse({ standardSchema: TableDetailSchema, description: 'The table after joining' })
  @ApiProblemResponses(400, 401, 404, 409, 413, 502, 503, 504)
  join(
    @Param('id', { schema: TableIdSchema }) id: string,
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestScope() scope: RequestScope,
  ): Promise<TableDetail> {
    return this.joinTable.execute(id, principal.sub, scope);
  }

  @Post(':id/leave')
  @InvalidatesCache({ tags: ['tables'] })
  @HttpCode(200)
  @ApiOperation({ summary: 'Leave a table, as the token subject', description: 'Idempotent: leaving a table you do not sit at changes nothing.' })
  @ApiOkResponse({ standardSchema: TableDetailSchema, description: 'The table after leaving' })
  @ApiProblemResponses(400, 401, 404, 413, 502, 503, 504)
  leave(
    @Param('id', { schema: TableIdSchema }) id: string,
    @CurrentPrincipal() principal: Principal,
    @CurrentRequestScope() scope: RequestScope,
  ): Promise<TableDetail> {
    return this.leaveTable.execute(id, principal.sub, scope);
  }
}
