import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@portico/auth';
import { ApiProblemResponses, ProblemException } from '@portico/errors';
import { InvalidationRequestSchema, InvalidationResultSchema, type InvalidationRequest, type InvalidationResult } from './cache-admin.schema.js';
import { ResponseCache } from './response-cache.js';

/** Invalidates cached answers by tag or by route; admins only. */
@ApiTags('admin')
@Roles('admin')
@ApiProblemResponses(401, 403)
@Controller('admin/cache')
export class CacheAdminController {
  constructor(private readonly cache: ResponseCache) {}

  @Post('invalidate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Invalidate cached answers by tag or route',
    description: 'Applies at once on every instance sharing the Redis: the next request for an affected entry goes to the backend.',
  })
  @ApiOkResponse({ standardSchema: InvalidationResultSchema, description: 'What was invalidated' })
  @ApiProblemResponses(400, 503)
  async invalidate(@Body({ schema: InvalidationRequestSchema }) body: InvalidationRequest): Promise<InvalidationResult> {
    try {
      await this.cache.invalidate(body.tags, body.routes, 'admin');
    } catch (error) {
      throw new ProblemException(
        { status: 503, slug: 'cache-unavailable', title: 'Service Unavailable', detail: 'the cache store is unavailable; nothing was invalidated', headers: { 'Retry-After': '1' } },
        { cause: error },
      );
    }
    return { tags: body.tags, routes: body.routes };
  }
}
