// A stand-in for a gateway instance's socket hub: opens SESSIONS sessions through the built
// @portico/analytics event log, prints "ready" once they are in Redis, then keeps heartbeating until
// it is killed. Suites SIGKILL it to play an instance that dies without ending its sessions.
import { RedisSessionEventLog, SessionEventLogMetrics } from '@portico/analytics';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';

const env = process.env;
const redis = new Redis(env.REDIS_URL);
const log = new RedisSessionEventLog(
  redis,
  { stream: env.ANALYTICS_STREAM, maxLength: 100_000, instanceTtlMs: Number(env.ANALYTICS_INSTANCE_TTL_MS), bufferSize: 1_000 },
  new SessionEventLogMetrics(new Registry()),
);
const startedAt = Date.now();
for (let index = 0; index < Number(env.SESSIONS); index++) {
  log.started({ sessionId: `${env.INSTANCE_ID}-s${index}`, userId: `u${index}`, clientType: env.CLIENT_TYPE, instanceId: env.INSTANCE_ID, startedAt });
}
while (log.backlog > 0) await new Promise((resolve) => setTimeout(resolve, 10));
process.stdout.write('ready\n');
// Heartbeats run on an unref'd timer; this one keeps the process alive until the suite kills it.
setInterval(() => undefined, 60_000);
