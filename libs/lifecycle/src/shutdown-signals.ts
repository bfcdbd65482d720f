import { Logger } from '@nestjs/common';

export interface ShutdownOptions {
  /** Longest the drain may take before the process gives up on in-flight work and exits 1. */
  timeoutMs: number;
  signals?: readonly NodeJS.Signals[];
  exit?: (code: number) => void;
}

/**
 * Runs `drain` once on the first SIGTERM or SIGINT (a second signal forces the exit), then exits 0.
 * Nest's own shutdown hooks close the app at once; a gateway must first stop being ready, let the
 * load balancer notice, and finish what is in flight.
 */
export function onShutdownSignal(drain: (signal: NodeJS.Signals) => Promise<void>, options: ShutdownOptions): void {
  const logger = new Logger('shutdown');
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let draining = false;
  for (const signal of options.signals ?? (['SIGTERM', 'SIGINT'] as const)) {
    process.on(signal, () => {
      if (draining) {
        logger.warn({ signal }, 'second signal during drain; exiting now');
        return exit(1);
      }
      draining = true;
      logger.log({ signal }, 'draining before exit');
      const timer = setTimeout(() => {
        logger.error({ timeoutMs: options.timeoutMs }, 'drain did not finish in time; exiting');
        exit(1);
      }, options.timeoutMs);
      timer.unref();
      drain(signal).then(
        () => {
          clearTimeout(timer);
          logger.log('drained; exiting');
          exit(0);
        },
        (error: unknown) => {
          clearTimeout(timer);
          logger.error({ err: error }, 'drain failed');
          exit(1);
        },
      );
    });
  }
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
