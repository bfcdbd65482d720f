import type { Target, UpstreamPool } from '@portico/upstream';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ForwardOutcome } from './upstream-failure.js';

const CIRCUIT_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * The proxy's instruments. Per-target gauges are read from the live pools at scrape time, so a
 * reload that drops a target also drops its series.
 */
export class ProxyMetrics {
  /** Attempts counted in plain numbers and handed to prom-client at scrape time: no label hashing per request. */
  private readonly attempts = new Map<string, { labels: { upstream: string; target: string; outcome: string }; count: number }>();
  private readonly retries: Counter<'upstream'>;
  private readonly mirrored: Counter<'upstream' | 'outcome'>;
  private readonly tunnels: Gauge<'route'>;

  constructor(registry: Registry, pools: () => Iterable<UpstreamPool>) {
    const attempts = this.attempts;
    new Counter({
      name: 'proxy_upstream_requests_total',
      help: 'Forwarding attempts to upstream targets, by upstream, target and outcome.',
      labelNames: ['upstream', 'target', 'outcome'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, count } of attempts.values()) this.inc(labels, count);
      },
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

  attempt(upstream: string, target: string, outcome: ForwardOutcome): void {
    const key = `${upstream} ${target} ${outcome}`;
    const series = this.attempts.get(key);
    if (series) series.count++;
    else this.attempts.set(key, { labels: { upstream, target, outcome }, count: 1 });
  }

  refused(upstream: string, outcome: 'no_target' | 'circuit_open'): void {
    this.attempt(upstream, 'none', outcome);
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
