import { status } from '@grpc/grpc-js';
import { grpcStatusName } from '@portico/errors';
import type { Metrics } from '@portico/observability';
import { Counter, Gauge } from 'prom-client';
import type { InstanceSnapshot } from './grpc-service-pool.js';

/** What the metrics read from a pool at scrape time. */
export interface ObservedPool {
  readonly service: string;
  snapshot(): InstanceSnapshot[];
}

const HEALTH_VALUE = { healthy: 1, unknown: 0.5, unhealthy: 0 } as const;

/**
 * Instruments shared by every gRPC service pool of an app. Per-instance gauges are read from the
 * live pools at scrape time, so an instance that leaves also leaves the exposition.
 */
export class GrpcPoolMetrics {
  private readonly pools = new Set<ObservedPool>();
  private readonly timers = new Map<string, (seconds: number) => void>();
  private readonly retries: Counter<'service'>;

  constructor(private readonly metrics: Metrics) {
    const pools = this.pools;
    this.retries = new Counter({
      name: 'grpc_client_retries_total',
      help: 'Idempotent gRPC calls retried on another instance after UNAVAILABLE, by service.',
      labelNames: ['service'],
      registers: [metrics.registry],
    });
    const perInstance = (name: string, help: string, value: (instance: InstanceSnapshot) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['service', 'instance'],
        registers: [metrics.registry],
        collect() {
          this.reset();
          for (const pool of pools) {
            for (const instance of pool.snapshot()) this.set({ service: pool.service, instance: instance.address }, value(instance));
          }
        },
      });
    perInstance('grpc_instance_in_flight', 'Calls in flight per discovered instance.', (instance) => instance.inFlight);
    perInstance(
      'grpc_instance_healthy',
      'Health of each discovered instance: 1 serving, 0 not serving, 0.5 not probed yet.',
      (instance) => HEALTH_VALUE[instance.health],
    );
  }

  track(pool: ObservedPool): void {
    this.pools.add(pool);
  }

  untrack(pool: ObservedPool): void {
    this.pools.delete(pool);
  }

  retried(service: string): void {
    this.retries.inc({ service });
  }

  /** Times one attempt into `upstream_request_duration_seconds`; series are cached per service and outcome. */
  observe(service: string, code: status, seconds: number): void {
    const key = `${service}\u0000${code}`;
    let observe = this.timers.get(key);
    if (!observe) {
      observe = this.metrics.upstreamDuration.series({ upstream: service, outcome: code === status.OK ? 'ok' : grpcStatusName(code) });
      this.timers.set(key, observe);
    }
    observe(seconds);
  }
}
