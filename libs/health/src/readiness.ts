/** One dependency the app needs before it can serve: a backend, a store. */
export interface ReadinessCheck {
  /** Key in the readiness report, e.g. `player-service`. */
  name: string;
  /** Resolves when the dependency can serve (optionally with detail for the report); rejects with a reason when it cannot. */
  probe(): Promise<void | Record<string, unknown>>;
  /**
   * False for a dependency the instance can serve without (it degrades instead): its failure is
   * reported in the details but leaves readiness at 200, so a shared outage does not take every
   * instance out of the load balancer at once. Defaults to true.
   */
  required?: boolean;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/** Flipped once on shutdown, so the load balancer stops routing here while in-flight requests finish. */
export class ReadinessGate {
  private drainingSince: number | undefined;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  beginDrain(): void {
    this.drainingSince ??= Date.now();
  }
}
