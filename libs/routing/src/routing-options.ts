import type { TrustProxy } from '@portico/proxy';
import type { RouteFile } from './route-file.schema.js';

export interface RoutingOptions {
  /** The route file to serve and watch; undefined when the gateway runs without declarative routes. */
  routesFile: string | undefined;
  /** Its contents, validated before the application started. */
  initial: RouteFile | undefined;
  /** Re-read the file when it changes. */
  watch: boolean;
  /** Request body limit for routes that set none. */
  bodyLimitBytes: number;
  /** Paths the gateway serves itself; no route may cover them. */
  reservedPrefixes: readonly string[];
  /** The same trust Fastify applies, for WebSocket upgrades that never reach Fastify's request object. */
  trustProxy: TrustProxy | false;
  /**
   * Path prefixes whose WebSocket upgrades another listener on the server answers (socket.io's
   * `/socket.io`): the edge proxy neither serves nor refuses them.
   */
  foreignUpgradePaths?: readonly string[];
  /** The gateway's own zone: discovered upstreams without `prefer` prefer instances registered in it. */
  zone?: string | undefined;
}

export const ROUTING_OPTIONS = Symbol('ROUTING_OPTIONS');
