import { grpcAddress, logLevel, milliseconds, redisUrl } from '@portico/config';
import { checkDiscovery, discoveryFields, registrationFields } from '@portico/discovery';
import { z } from 'zod';

export const tableServiceEnvironment = z
  .object({
    /** Listen address; with DISCOVERY=static the gateway dials the same variable. */
    TABLE_SERVICE_URL: grpcAddress('127.0.0.1:50052'),
    LOG_LEVEL: logLevel,
    SHUTDOWN_DRAIN_DELAY_MS: milliseconds(0),
    SHUTDOWN_TIMEOUT_MS: milliseconds(10_000),
    /** Where table changes are published to the gateways' sockets and their response cache is invalidated (and DISCOVERY=redis registers). */
    REDIS_URL: redisUrl,
    ...discoveryFields,
    ...registrationFields,
  })
  .superRefine(checkDiscovery);

export type TableServiceEnvironment = z.output<typeof tableServiceEnvironment>;
