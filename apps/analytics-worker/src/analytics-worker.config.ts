import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { analyticsStreamFields } from '@portico/analytics';
import { logLevel, milliseconds, port } from '@portico/config';
import { z } from 'zod';

export const analyticsWorkerEnvironment = z.object({
  REDIS_URL: z.url({
    protocol: /^rediss?$/,
    error: (issue) =>
      issue.input === undefined ? 'required: the worker consumes the analytics stream from Redis' : 'expected a redis:// or rediss:// URL',
  }),
  ...analyticsStreamFields,
  ANALYTICS_GROUP: z.string().min(1).default('analytics-worker'),
  // Unique per process by default: a restarted worker must not inherit a dead one's name and pending entries.
  ANALYTICS_CONSUMER: z.string().min(1).default(`${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`),
  ANALYTICS_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(100),
  ANALYTICS_BLOCK_MS: milliseconds(2_000).pipe(z.number().min(10).max(60_000)),
  ANALYTICS_CLAIM_IDLE_MS: milliseconds(30_000).pipe(z.number().min(100)),
  ANALYTICS_DEDUPE_WINDOW_MS: milliseconds(604_800_000).pipe(z.number().min(60_000)),
  ANALYTICS_SWEEP_INTERVAL_MS: milliseconds(5_000).pipe(z.number().min(100)),
  ANALYTICS_WORKER_PORT: port(9464),
  LOG_LEVEL: logLevel,
  SHUTDOWN_TIMEOUT_MS: milliseconds(10_000),
});

export type AnalyticsWorkerEnvironment = z.output<typeof analyticsWorkerEnvironment>;
