import { grpcAddress, logLevel, milliseconds } from '@portico/config';
import { z } from 'zod';

export const playerServiceEnvironment = z.object({
  /** Listen address; the gateway dials the same variable. */
  PLAYER_SERVICE_URL: grpcAddress('127.0.0.1:50051'),
  LOG_LEVEL: logLevel,
  SHUTDOWN_DRAIN_DELAY_MS: milliseconds(0),
  SHUTDOWN_TIMEOUT_MS: milliseconds(10_000),
});

export type PlayerServiceEnvironment = z.output<typeof playerServiceEnvironment>;
