import { Counter, Gauge, type Registry } from 'prom-client';

/** Decisions per policy, and whether the shared store is down (and how the gateway copes). */
export class RateLimitMetrics {
  private readonly decisions: Counter<'policy' | 'outcome'>;
  private readonly degraded: Gauge<'mode'>;
  private readonly storeFailures: Counter;

  constructor(registry: Registry) {
    this.decisions = new Counter({
      name: 'rate_limit_decisions_total',
      help: 'Rate limit decisions, by policy and outcome (allowed or limited).',
      labelNames: ['policy', 'outcome'] as const,
      registers: [registry],
    });
    this.degraded = new Gauge({
      name: 'rate_limit_degraded',
      help: 'Whether the shared rate limit store is unavailable (1), by failure mode (fail-open: local limiter; fail-closed: 503).',
      labelNames: ['mode'] as const,
      registers: [registry],
    });
    this.storeFailures = new Counter({
      name: 'rate_limit_store_failures_total',
      help: 'Rate limit decisions the shared store could not make.',
      registers: [registry],
    });
  }

  decided(policy: string, allowed: boolean): void {
    this.decisions.inc({ policy, outcome: allowed ? 'allowed' : 'limited' });
  }

  storeFailed(): void {
    this.storeFailures.inc();
  }

  setDegraded(mode: string, degraded: boolean): void {
    this.degraded.set({ mode }, degraded ? 1 : 0);
  }
}
