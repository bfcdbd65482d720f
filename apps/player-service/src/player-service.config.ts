import { grpcAddress, logLevel, milliseconds, redisUrl } from '@portico/config';
import { checkDiscovery, discoveryFields, registrationFields } from '@portico/discovery';
import { z } from 'zod';

export const playerServiceEnvironment = z
  .object({
    /** Listen address; with DISCOVERY=static the gateway dials the same variable. */
    PLAYER_SERVICE_URL: grpcAddress('127.0.0.1:50051'),
    LOG_LEVEL: logLevel,
    SHUTDOWN_DRAIN_DELAY_MS: milliseconds(0),
    SHUTDOWN_TIMEOUT_MS: milliseconds(10_000),
    /** Only read by DISCOVERY=redis, to register there. */
    REDIS_URL: redisUrl,
    ...discoveryFields,
    ...registrationFields,
  })
  .superRefine(checkDiscovery);

export type PlayerServiceEnvironment = z.output<typeof playerServiceEnvironment>;
