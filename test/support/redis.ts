import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

export interface TestRedis {
  url: string;
  /** Stops the server this helper started; a no-op for a REDIS_URL given from outside. */
  stop(): Promise<void>;
}

async function answersPing(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // A refused connection is the answer here (not up yet), not an error worth printing.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * A `redis-server` of the test's own on a free port (or on `port`, to bring a stopped one back);
 * tests that stop Redis mid-test need one they own.
 */
export async function startDedicatedRedis(options: { port?: number } = {}): Promise<TestRedis & { process: ChildProcess; port: number }> {
  const port = options.port ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  await waitFor(() => answersPing(url), { timeoutMs: 10_000, description: `redis-server on port ${port}` });
  return {
    url,
    port,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Real Redis for a suite: REDIS_URL when set, else a redis-server started on a free port and stopped afterwards. */
export async function startRedis(): Promise<TestRedis> {
  const external = process.env['REDIS_URL'];
  if (external) {
    if (!(await answersPing(external))) throw new Error(`REDIS_URL=${external} does not answer PING`);
    return { url: external, stop: () => Promise.resolve() };
  }
  return startDedicatedRedis();
}
