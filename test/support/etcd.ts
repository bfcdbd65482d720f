import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

export interface TestEtcd {
  /** The client URL, as ETCD_URL takes it. */
  url: string;
  /** Stops the server and waits for it to exit; the data directory stays for `restart`. */
  stop(): Promise<void>;
  /** Starts it again on the same ports, and waits until it answers; `emptyData` starts it as a new etcd that remembers nothing. */
  restart(options?: { emptyData?: boolean }): Promise<void>;
  /** Stops the server and removes its data directory. */
  dispose(): Promise<void>;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
    const body = (await response.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

/** A single-member etcd of the test's own, on free client and peer ports, with a temporary data directory. */
export async function startEtcd(): Promise<TestEtcd> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const dataDir = await mkdtemp(join(tmpdir(), 'portico-etcd-'));
  const url = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const args = [
    ['--name', 'portico-test'],
    ['--data-dir', dataDir],
    ['--listen-client-urls', url],
    ['--advertise-client-urls', url],
    ['--listen-peer-urls', peerUrl],
    ['--initial-advertise-peer-urls', peerUrl],
    ['--initial-cluster', `portico-test=${peerUrl}`],
    ['--logger', 'zap'],
    ['--log-level', 'error'],
  ].flat();
  let child: ChildProcess | undefined;
  // Kept so a server that never becomes healthy explains why in the timeout error.
  let output = '';

  const start = async (): Promise<void> => {
    output = '';
    const started = spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    started.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2_000)));
    child = started;
    await waitFor(async () => started.exitCode === null && (await healthy(url)), {
      timeoutMs: 20_000,
      description: `etcd on ${url}`,
    }).catch((error: Error) => {
      started.kill('SIGKILL');
      throw new Error(`${error.message}; etcd said: ${output}`);
    });
  };

  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null || running.signalCode !== null) return resolve();
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });

  await start();
  return {
    url,
    stop,
    restart: async ({ emptyData = false } = {}) => {
      await stop();
      if (emptyData) await rm(dataDir, { recursive: true, force: true });
      await start();
    },
    dispose: async () => {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
