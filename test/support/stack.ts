import { AppProcess } from './app-process.js';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

/** The HS256 secret every stack's gateway verifies with unless a test chooses another key source. */
export const TEST_JWT_SECRET = 'portico-e2e-secret-0123456789abcdef';

/** An environment override; `undefined` removes a variable the helper would otherwise set. */
export type EnvOverrides = Record<string, string | undefined>;

function merged(defaults: Record<string, string>, overrides: EnvOverrides = {}): Record<string, string> {
  const env: Record<string, string | undefined> = { ...defaults, ...overrides };
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** Stops every process given, in parallel; a paused (SIGSTOP) process is resumed first so SIGTERM can reach it. */
export async function stopAll(processes: readonly (AppProcess | undefined)[]): Promise<void> {
  await Promise.all(
    processes.map(async (app) => {
      if (!app) return;
      app.signal('SIGCONT');
      await app.stop(5_000);
    }),
  );
}

export interface GatewayOptions {
  playerAddress: string;
  tableAddress: string;
  env?: EnvOverrides;
  /** Which probe must answer 200 before the gateway counts as started; `live` when a backend is meant to be down. */
  waitFor?: 'ready' | 'live';
  timeoutMs?: number;
}

export interface StartedGateway {
  process: AppProcess;
  port: number;
  baseUrl: string;
}

async function answers(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return response.status === 200;
}

/** One gateway process on a free port, dialling the given backends, verifying tokens with TEST_JWT_SECRET by default. */
export async function startGateway(options: GatewayOptions): Promise<StartedGateway> {
  const port = await freePort();
  const env = merged(
    {
      HOST: '127.0.0.1',
      PORT: String(port),
      NODE_ENV: 'test',
      PLAYER_SERVICE_URL: options.playerAddress,
      TABLE_SERVICE_URL: options.tableAddress,
      JWT_SECRET: TEST_JWT_SECRET,
      // Suites that are not about rate limiting fire hundreds of requests as one user; rate-limit.e2e-spec sets its own.
      RATE_LIMIT_DEFAULT: 'off',
      // Suites that stop backends expect the next answer to show it, not a cached one; cache.e2e-spec turns it on.
      CACHE_ENABLED: 'false',
    },
    options.env,
  );
  const gateway = new AppProcess('gateway', env);
  const baseUrl = `http://127.0.0.1:${port}`;
  const probe = options.waitFor === 'live' ? '/health/live' : '/health/ready';
  try {
    await waitFor(
      async () => {
        if (!gateway.running) throw new Error(`gateway exited early\n${gateway.describe()}`);
        return answers(`${baseUrl}${probe}`);
      },
      { timeoutMs: options.timeoutMs ?? 20_000, intervalMs: 100, description: `gateway ${probe} to answer 200` },
    );
  } catch (error) {
    await stopAll([gateway]);
    throw new Error(`${(error as Error).message}\n${gateway.describe()}`, { cause: error });
  }
  return { process: gateway, port, baseUrl };
}

export interface StackOptions {
  /** Extra or replaced gateway variables (e.g. `{ JWT_SECRET: undefined, JWT_JWKS_URI: ... }`). */
  gatewayEnv?: EnvOverrides;
  playerEnv?: EnvOverrides;
  tableEnv?: EnvOverrides;
}

export interface Stack {
  player: AppProcess;
  table: AppProcess;
  gateway: AppProcess;
  playerAddress: string;
  tableAddress: string;
  baseUrl: string;
  /** Every process of the stack, for log assertions across all of them. */
  all(): AppProcess[];
  stop(): Promise<void>;
}

/** A gRPC backend on a free port, resolved once it logs that it listens. */
async function startBackend(name: 'player-service' | 'table-service', addressVariable: string, overrides?: EnvOverrides) {
  const address = `127.0.0.1:${await freePort()}`;
  const app = new AppProcess(name, merged({ [addressVariable]: address }, overrides));
  try {
    await app.waitForLog((line) => line.msg === 'gRPC service listening', 'gRPC service listening', 20_000);
  } catch (error) {
    await stopAll([app]);
    throw new Error(`${(error as Error).message}\n${app.describe()}`, { cause: error });
  }
  return { app, address };
}

/**
 * player-service, table-service and the gateway, each a real process on a free port, resolved once
 * the gateway's /health/ready answers 200. Whatever fails on the way, nothing is left running.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const started = await Promise.allSettled([
    startBackend('player-service', 'PLAYER_SERVICE_URL', options.playerEnv),
    startBackend('table-service', 'TABLE_SERVICE_URL', options.tableEnv),
  ]);
  const [player, table] = started;
  if (player.status === 'rejected' || table.status === 'rejected') {
    await stopAll(started.map((result) => (result.status === 'fulfilled' ? result.value.app : undefined)));
    throw player.status === 'rejected' ? player.reason : (table as PromiseRejectedResult).reason;
  }
  let gateway: StartedGateway;
  try {
    gateway = await startGateway({
      playerAddress: player.value.address,
      tableAddress: table.value.address,
      ...(options.gatewayEnv && { env: options.gatewayEnv }),
    });
  } catch (error) {
    await stopAll([player.value.app, table.value.app]);
    throw error;
  }
  const processes = [gateway.process, player.value.app, table.value.app];
  return {
    player: player.value.app,
    table: table.value.app,
    gateway: gateway.process,
    playerAddress: player.value.address,
    tableAddress: table.value.address,
    baseUrl: gateway.baseUrl,
    all: () => processes,
    stop: () => stopAll(processes),
  };
}
