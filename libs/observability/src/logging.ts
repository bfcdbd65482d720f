import type { Params } from 'nestjs-pino';

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
      ...(options.pretty && { transport: { target: 'pino-pretty', options: { singleLine: true } } }),
    },
    // No pino-http middleware: registerHttpObservability binds each request's logging context and writes
    // the access log from Fastify hooks, which is much cheaper per request than a middleware through middie.
    forRoutes: [],
  };
}
