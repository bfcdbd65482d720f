import type { Target, UpstreamPool } from '@portico/upstream';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ForwardOutcome } from './upstream-failure.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CIRCUIT_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * The proxy's instruments. Per-target gauges are read from the live pools at scrape time, so a
 * reload that drops a target also drops its series.
 */
export class ProxyMetrics {
  private readonly requests: Counter<'upstream' | 'target' | 'outcome'>;
  private readonly duration: Histogram<'upstream' | 'outcome'>;
  private readonly retries: Counter<'upstream'>;
  private readonly mirrored: Counter<'upstream' | 'outcome'>;
  private readonly tunnels: Gauge<'route'>;

  constructor(registry: Registry, pools: () => Iterable<UpstreamPool>) {
    this.requests = new Counter({
      name: 'proxy_upstream_requests_total',
      help: 'Forwarding attempts to upstream targets, by upstream, target and outcome.',
      labelNames: ['upstream', 'target', 'outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'proxy_upstream_response_seconds',
      help: 'Time from sending an attempt to the upstream response headers (or the failure), by upstream and outcome.',
      labelNames: ['upstream', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    this.retries = new Counter({
      name: 'proxy_upstream_retries_total',
      help: 'Attempts retried on another (or the same) target, within the retry budget.',
      labelNames: ['upstream'],
      registers: [registry],
    });
    this.mirrored = new Counter({
      name: 'proxy_mirror_requests_total',
      help: 'Shadow requests sent to mirror upstreams, by outcome; their answers are discarded.',
      labelNames: ['upstream', 'outcome'],
      registers: [registry],
    });
    this.tunnels = new Gauge({
      name: 'proxy_websocket_connections',
      help: 'WebSocket connections currently tunnelled to upstreams, by route.',
      labelNames: ['route'],
      registers: [registry],
    });
    const perTarget = (name: string, help: string, value: (target: Target) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['upstream', 'target'],
        registers: [registry],
        collect() {
          this.reset();
          for (const pool of pools()) {
            for (const target of pool.targets) this.set({ upstream: pool.name, target: target.address }, value(target));
          }
        },
      });
    perTarget('proxy_target_in_flight', 'Requests in flight per upstream target.', (target) => target.inFlight);
    perTarget('proxy_target_healthy', 'Whether the target passes its health checks (1) or not (0); unchecked targets count as healthy.', (target) =>
      target.health === 'unhealthy' ? 0 : 1,
    );
    perTarget('proxy_target_circuit_state', 'Circuit breaker state per target: 0 closed, 1 half-open, 2 open.', (target) => CIRCUIT_VALUE[target.circuit]);
  }

  // Label children cached per series: prom-client otherwise hashes the label object on every request.
  private readonly attemptSeries = new Map<string, { count: () => void; observe: (seconds: number) => void }>();

  attempt(upstream: string, target: string, outcome: ForwardOutcome, seconds: number): void {
    const key = `${upstream} ${target} ${outcome}`;
    let series = this.attemptSeries.get(key);
    if (!series) {
      const counter = this.requests.labels({ upstream, target, outcome });
      const histogram = this.duration.labels({ upstream, outcome });
      series = { count: () => counter.inc(), observe: (value) => histogram.observe(value) };
      this.attemptSeries.set(key, series);
    }
    series.count();
    series.observe(seconds);
  }

  refused(upstream: string, outcome: 'no_target' | 'circuit_open'): void {
    this.requests.inc({ upstream, target: 'none', outcome });
  }

  retry(upstream: string): void {
    this.retries.inc({ upstream });
  }

  mirror(upstream: string, outcome: ForwardOutcome): void {
    this.mirrored.inc({ upstream, outcome });
  }

  tunnelOpened(route: string): void {
    this.tunnels.inc({ route });
  }

  tunnelClosed(route: string): void {
    this.tunnels.dec({ route });
  }
}
