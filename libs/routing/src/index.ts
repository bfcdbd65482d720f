export { CompiledRoute, type RouteMatch, type RouteRequest } from './compiled-route.js';
export { formatIssues, type RouteFileIssue } from './route-file-issue.js';
export {
  parseRouteFile,
  readRouteFile,
  validateRoute,
  type RouteFileOptions,
  type RouteFileResult,
  type RouteValidation,
} from './route-file.js';
export { routeFileSchema, type RouteFile } from './route-file.schema.js';
export { HTTP_METHODS, routeSpecSchema, type HttpMethod, type RouteSpec } from './route-spec.schema.js';
export { RouteTable } from './route-table.js';
export { upstreamSpecSchema, type UpstreamSpec } from './upstream-spec.schema.js';
export { AdminController } from './admin.controller.js';
export { EdgeProxy, type EdgeFront } from './edge-proxy.js';
export { mediaTypeVersioning } from './media-type-version.js';
export { RouteRegistry, type LiveRoutes, type RouteChange, type RouteUpstream } from './route-registry.js';
export { ROUTING_OPTIONS, type RoutingOptions } from './routing-options.js';
export { RoutingModule } from './routing.module.js';
