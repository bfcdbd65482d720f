import type { z } from 'zod';

/** Thrown at boot when the environment does not satisfy an app's schema; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once, at boot, into the typed object an app composes its modules from.
 * Empty strings count as unset, so `FOO=` in an .env file falls back to the default instead of failing.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const key = issue.path.length > 0 ? issue.path.join('.') : '(environment)';
      return `${key}: ${issue.message}`;
    }),
  );
}

/**
 * Entry point of every app: a bad environment prints the named problems and exits 1 before
 * anything starts, instead of surfacing later as a stack trace.
 */
export async function runWithConfig<S extends z.ZodType>(
  schema: S,
  start: (config: z.output<S>) => Promise<void>,
): Promise<void> {
  let config: z.output<S>;
  try {
    config = loadConfig(schema);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  await start(config);
}
