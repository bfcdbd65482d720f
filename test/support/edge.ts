import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './free-port.js';
import { startGateway, stopAll, type EnvOverrides, type StartedGateway } from './stack.js';

export interface EdgeGateway extends StartedGateway {
  file: string;
  /** Replaces the route file atomically (write, then rename), as deploy tools do. */
  writeRoutes(routes: unknown): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A gateway serving a route file written from `routes`, in its own temp folder. Its gRPC backends
 * point at closed ports: edge suites exercise only the proxy, so the gateway counts as started once live.
 */
export async function startEdgeGateway(routes: unknown, env: EnvOverrides = {}): Promise<EdgeGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-routes-'));
  const file = join(dir, 'routes.yaml');
  const writeRoutes = async (next: unknown) => {
    const staging = join(dir, `.routes-${process.hrtime.bigint()}.yaml`);
    await writeFile(staging, typeof next === 'string' ? next : stringify(next));
    await rename(staging, file);
  };
  await writeRoutes(routes);
  let gateway: StartedGateway;
  try {
    gateway = await startGateway({
      playerAddress: `127.0.0.1:${await freePort()}`,
      tableAddress: `127.0.0.1:${await freePort()}`,
      waitFor: 'live',
      env: { ROUTES_FILE: file, ...env },
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...gateway,
    file,
    writeRoutes,
    stop: async () => {
      await stopAll([gateway.process]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One upstream named `name` with these target URLs, on the defaults unless `extra` says otherwise. */
export function upstream(urls: readonly string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { targets: urls.map((url) => ({ url })), ...extra };
}
