import { z } from 'zod';

/** Reusable environment fields, so every app spells ports, addresses and durations the same way. */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);

export const milliseconds = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/** `host:port` as gRPC dials and listens on it; a scheme would be silently misread by grpc-js. */
export const grpcAddress = (fallback: string) =>
  z
    .string()
    .regex(/^[\w.-]+:\d{1,5}$|^\[[\da-fA-F:]+\]:\d{1,5}$/, 'expected host:port, for example 127.0.0.1:50051')
    .default(fallback);

const HOST_PORT = String.raw`(?:[\w.-]+|\[[\da-fA-F:]+\]):\d{1,5}`;

/** One or more `host:port`, comma-separated: the instances of a service when addresses are configured, not discovered. */
export const grpcAddressList = (fallback: string) =>
  z
    .string()
    .regex(new RegExp(`^\\s*${HOST_PORT}\\s*(?:,\\s*${HOST_PORT}\\s*)*$`), 'expected host:port[,host:port...], for example 127.0.0.1:50051')
    .default(fallback)
    .transform((value) => value.split(',').map((address) => address.trim()));

export const redisUrl = z
  .url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' })
  .optional();

export const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');
