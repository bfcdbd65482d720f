// Free ports and readiness probes for the processes under test.
import { credentials, Metadata } from '@grpc/grpc-js';
import { healthV1 } from '@portico/contracts';
import { Redis } from 'ioredis';
import { createServer } from 'node:net';

const POLL_INTERVAL_MS = 100;

/** `count` distinct free TCP ports on 127.0.0.1: all held open together so none is handed out twice. */
export async function freePorts(count) {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => server.address().port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function poll(description, child, timeoutMs, attempt) {
  const deadline = Date.now() + timeoutMs;
  let lastFailure = 'no answer yet';
  while (Date.now() < deadline) {
    if (!child.alive) throw new Error(`${child.name} exited while waiting for ${description}`);
    try {
      const failure = await attempt();
      if (failure === undefined) return;
      lastFailure = failure;
    } catch (error) {
      lastFailure = error.message;
    }
    await sleep(POLL_INTERVAL_MS);
  }
  throw new Error(`${description} not ready after ${timeoutMs} ms (last: ${lastFailure})`);
}

/** Waits until the service reports SERVING over grpc.health.v1 (its info log line is hidden at LOG_LEVEL=warn). */
export async function waitForGrpcServing(child, address, serviceName, timeoutMs = 30_000) {
  const client = new healthV1.HealthClient(address, credentials.createInsecure());
  try {
    await poll(`${child.name} (gRPC health of ${serviceName} at ${address})`, child, timeoutMs, () =>
      new Promise((resolve, reject) => {
        client.check({ service: serviceName }, new Metadata(), { deadline: Date.now() + 1_000 }, (error, response) => {
          if (error) return reject(error);
          const serving = response.status === healthV1.HealthCheckResponse_ServingStatus.SERVING;
          resolve(serving ? undefined : `status ${healthV1.healthCheckResponse_ServingStatusToJSON(response.status)}`);
        });
      }),
    );
  } finally {
    client.close();
  }
}

/** Waits until `url` answers 200 with the given headers. */
export async function waitForHttpOk(child, url, headers, timeoutMs = 30_000) {
  await poll(`${child.name} (${url})`, child, timeoutMs, async () => {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status === 200 ? undefined : `HTTP ${response.status}`;
  });
}

/** Waits until the Redis server at `url` answers PING. */
export async function waitForRedis(child, url, timeoutMs = 10_000) {
  await poll(`${child.name} (${url})`, child, timeoutMs, async () => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    // A refused connection is the answer here (not up yet), not an error worth printing.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG' ? undefined : 'no PONG';
    } finally {
      client.disconnect();
    }
  });
}
