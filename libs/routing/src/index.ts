export { routeFileSchema, type RouteFile } from './route-file.schema.js';
export { HTTP_METHODS, routeSpecSchema, type HttpMethod, type RouteSpec } from './route-spec.schema.js';
export { upstreamSpecSchema, type UpstreamSpec } from './upstream-spec.schema.js';
