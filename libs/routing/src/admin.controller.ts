import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Roles } from '@portico/auth';
import { ServiceDiscovery } from '@portico/discovery';
import { ApiProblemResponses, ProblemException } from '@portico/errors';
import {
  ReloadResultSchema,
  RouteBodySchema,
  RouteListQuerySchema,
  RouteListSchema,
  UpstreamListSchema,
  type ReloadResult,
  type RouteList,
  type RouteListQuery,
  type UpstreamList,
} from './admin.schema.js';
import type { RouteFileIssue } from './route-file-issue.js';
import { RouteRegistry, type RouteChange } from './route-registry.js';
import { routeIdSchema } from './route-spec.schema.js';

function rejected(detail: string, issues: readonly RouteFileIssue[]): ProblemException {
  return new ProblemException({
    status: 422,
    slug: 'invalid-routes',
    title: 'Invalid routes',
    detail,
    errors: issues.map((issue) => ({
      field: issue.path,
      message: issue.line === undefined ? issue.message : `${issue.message} (line ${issue.line}, column ${issue.column ?? 1})`,
    })),
  });
}

/** Runtime view and control of the route table; admins only. */
@ApiTags('admin')
@Roles('admin')
@ApiProblemResponses(401, 403)
@Controller('admin')
export class AdminController {
  constructor(
    private readonly registry: RouteRegistry,
    private readonly discovery: ServiceDiscovery,
  ) {}

  @Get('routes')
  @ApiOperation({ summary: 'The live routes, in match order' })
  @ApiQuery({ name: 'source', required: false, enum: ['file', 'admin'], description: 'Only the routes of this source' })
  @ApiOkResponse({ standardSchema: RouteListSchema, description: 'The live route table' })
  @ApiProblemResponses(400)
  routes(@Query({ schema: RouteListQuerySchema }) query: RouteListQuery = {}): RouteList {
    const live = this.registry.live;
    const routes = live.table.routes.map((route) => ({
      id: route.id,
      source: this.registry.isRuntimeRoute(route.id) ? ('admin' as const) : ('file' as const),
      spec: route.spec,
    }));
    return {
      version: live.version,
      loadedAt: live.loadedAt.toISOString(),
      routes: query.source === undefined ? routes : routes.filter((route) => route.source === query.source),
    };
  }

  @Get('upstreams')
  @ApiOperation({ summary: 'Upstreams with each target’s health, circuit state and in-flight requests, and the registry state of discovered ones' })
  @ApiOkResponse({ standardSchema: UpstreamListSchema, description: 'Every upstream of the live table' })
  upstreams(): UpstreamList {
    return {
      upstreams: [...this.registry.live.upstreams.values()].map((upstream) => ({
        name: upstream.name,
        balancer: upstream.spec.balancer,
        ...(upstream.spec.discovery && {
          discovery: { service: upstream.spec.discovery.service, state: this.discovery.view(upstream.spec.discovery.service).state },
        }),
        targets: upstream.pool.targets.map((target) => ({
          url: target.address,
          weight: target.weight,
          metadata: target.metadata,
          health: target.health,
          circuit: target.circuit,
          inFlight: target.inFlight,
        })),
      })),
    };
  }

  @Put('routes/:id')
  @ApiOperation({
    summary: 'Add or replace a route at runtime',
    description: 'The route is validated like a route file entry; it applies at once and survives file reloads until deleted.',
  })
  @ApiParam({ name: 'id', description: 'Route id', example: 'echo' })
  @ApiBody({ description: 'A route, in the route file’s shape (its `id` is taken from the path)', schema: { type: 'object' } })
  @ApiOkResponse({ standardSchema: RouteListSchema, description: 'The live routes after the change' })
  @ApiProblemResponses(400, 422)
  putRoute(@Param('id', { schema: routeIdSchema }) id: string, @Body({ schema: RouteBodySchema }) body: Record<string, unknown>): RouteList {
    this.ensure(this.registry.putRoute(id, body), `route ${id} was not applied`);
    return this.routes();
  }

  @Delete('routes/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a route at runtime', description: 'Also hides a route the file defines, until the file is edited and the route is put back.' })
  @ApiParam({ name: 'id', description: 'Route id', example: 'echo' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblemResponses(400, 404)
  deleteRoute(@Param('id', { schema: routeIdSchema }) id: string): void {
    if (!this.registry.deleteRoute(id)) {
      throw new ProblemException({ status: 404, slug: 'not-found', title: 'Not found', detail: `no route ${id}` });
    }
  }

  @Post('reload')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-read the route file', description: 'An invalid file is refused with every problem listed; the live table keeps serving.' })
  @ApiOkResponse({ standardSchema: ReloadResultSchema, description: 'The table now serving' })
  @ApiProblemResponses(422)
  async reload(): Promise<ReloadResult> {
    this.ensure(await this.registry.reload(), 'the route file was rejected; the previous routes keep serving');
    const live = this.registry.live;
    return { version: live.version, routes: live.table.routes.length, upstreams: live.upstreams.size };
  }

  private ensure(change: RouteChange, detail: string): void {
    if (!change.ok) throw rejected(detail, change.issues);
  }
}
