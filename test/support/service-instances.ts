import { AppProcess } from './app-process.js';
import { freePort } from './free-port.js';
import { stopAll, type EnvOverrides } from './stack.js';

export type ServiceName = 'player-service' | 'table-service';

const ADDRESS_VARIABLE: Record<ServiceName, string> = {
  'player-service': 'PLAYER_SERVICE_URL',
  'table-service': 'TABLE_SERVICE_URL',
};

export interface ServiceInstanceProcess {
  app: AppProcess;
  address: string;
}

/** One more instance of a service on a free port, resolved once it listens (and, with a registry, has registered). */
export async function startInstance(name: ServiceName, env: EnvOverrides): Promise<ServiceInstanceProcess> {
  const address = `127.0.0.1:${await freePort()}`;
  const merged = Object.fromEntries(
    Object.entries({ [ADDRESS_VARIABLE[name]]: address, ...env }).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const app = new AppProcess(name, merged);
  const registers = merged['DISCOVERY'] !== undefined && merged['DISCOVERY'] !== 'static';
  try {
    await app.waitForLog((line) => line.msg === 'gRPC service listening', 'gRPC service listening', 20_000);
    if (registers) await app.waitForLog((line) => line.msg === 'registered', 'registered', 10_000);
  } catch (error) {
    await stopAll([app]);
    throw new Error(`${(error as Error).message}\n${app.describe()}`, { cause: error });
  }
  return { app, address };
}

/** When the instance logged that it registered (epoch ms, from its own log time). */
export function registeredAt(instance: ServiceInstanceProcess): number {
  const line = instance.app.logs.find((entry) => entry.msg === 'registered');
  if (!line) throw new Error(`${instance.app.name} never logged that it registered`);
  return line['time'] as number;
}

/** When the instance handled its first call (epoch ms), if it has. */
export function firstCallAt(instance: ServiceInstanceProcess): number | undefined {
  const line = instance.app.logs.find((entry) => entry.msg === 'rpc handled');
  return line?.['time'] as number | undefined;
}

/**
 * Starts several instances at once. If any fails, the others are stopped before the error is
 * thrown: with Promise.all they would finish starting after the suite gave up, and outlive it.
 */
export async function startInstances(starts: readonly (() => Promise<ServiceInstanceProcess>)[]): Promise<ServiceInstanceProcess[]> {
  const settled = await Promise.allSettled(starts.map((start) => start()));
  const failed = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    await stopAll(settled.map((result) => (result.status === 'fulfilled' ? result.value.app : undefined)));
    throw failed.reason;
  }
  return settled.map((result) => (result as PromiseFulfilledResult<ServiceInstanceProcess>).value);
}
