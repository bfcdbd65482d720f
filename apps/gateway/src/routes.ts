import { formatIssues, readRouteFile, type RouteFile } from '@portico/routing';
import { SOCKET_IO_PATH } from '@portico/realtime';
import type { GatewayEnvironment } from './gateway-config.js';

/** Paths the gateway serves itself: a route file may not cover them. */
export const RESERVED_PREFIXES = ['/health', '/metrics', '/admin', '/api/docs', '/api/docs-json', SOCKET_IO_PATH];

/** Validates ROUTES_FILE before anything starts, like the configuration: an invalid file names every problem and exits. */
export async function loadRoutes(env: GatewayEnvironment): Promise<RouteFile | undefined> {
  const source = env.ROUTES_FILE;
  if (source === undefined) return undefined;
  const result = await readRouteFile(source, { reservedPrefixes: RESERVED_PREFIXES });
  if (result.ok) return result.file;
  process.stderr.write(`Invalid route file ${source}:\n${formatIssues(source, result.issues)}\n`);
  process.exit(1);
}
