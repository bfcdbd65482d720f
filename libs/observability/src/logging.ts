import type { Params } from 'nestjs-pino';
import { RequestMethod } from '@nestjs/common';

export interface LoggingOptions {
  level: string;
  /** Pretty, colourised lines for a person at a terminal; JSON otherwise (and always in CI or containers). */
  pretty: boolean;
}

/** Header and field paths that never reach a log line, whatever the level. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'authorization',
  'password',
  'token',
];

export function pinoParams(options: LoggingOptions): Params {
  return {
    pinoHttp: {
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // Fastify has already given the raw request its id (see generateRequestId); log it under a stable key.
      customAttributeKeys: { reqId: 'requestId' },
      quietReqLogger: true,
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      },
      ...(options.pretty && { transport: { target: 'pino-pretty', options: { singleLine: true } } }),
    },
    // On platform-fastify >= 12.3.2 the default route pattern no longer matches; name every path explicitly.
    forRoutes: [{ path: '*splat', method: RequestMethod.ALL }],
  };
}
