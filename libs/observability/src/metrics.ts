import { Injectable } from '@nestjs/common';
import { LatencyHistogram } from './latency-histogram.js';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The process's Prometheus registry and the instruments every Portico app shares. */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  // Label children cached per series: prom-client otherwise hashes the label object on every request.
  private readonly httpSeries = new Map<
    string,
    { labels: { method: string; route: string; status_class: string }; count: number; observe: (seconds: number) => void }
  >();

  readonly httpRequests: Counter<'method' | 'route' | 'status_class'>;

  readonly httpDuration = new LatencyHistogram(this.registry, {
    name: 'http_server_request_duration_seconds',
    help: 'Time from request received to response sent, by method, route template and status class.',
    buckets: LATENCY_BUCKETS,
  });

  // Observed twice per lobby request; prom-client's Histogram would hash the label object each time.
  readonly upstreamDuration = new LatencyHistogram(this.registry, {
    name: 'upstream_request_duration_seconds',
    help: 'Duration of calls to upstream services, by upstream and outcome (ok or the failure status).',
    buckets: LATENCY_BUCKETS,
  });

  constructor() {
    const series = this.httpSeries;
    // Counted in plain numbers and handed over at scrape time: prom-client would hash the labels per request.
    this.httpRequests = new Counter({
      name: 'http_server_requests_total',
      help: 'HTTP requests served, by method, route template and status class.',
      labelNames: ['method', 'route', 'status_class'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { labels, count } of series.values()) this.inc(labels, count);
      },
    });
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges *_total, which promtool rejects (the suffix is for counters); the
    // per-type gauges without the suffix (nodejs_active_handles{type}) carry the same information.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(name);
    }
  }

  recordHttp(method: string, route: string, statusCode: number, seconds: number): void {
    const statusClass = `${Math.floor(statusCode / 100)}xx`;
    const key = `${method} ${route} ${statusClass}`;
    let series = this.httpSeries.get(key);
    if (!series) {
      const labels = { method, route, status_class: statusClass };
      series = { labels, count: 0, observe: this.httpDuration.series(labels) };
      this.httpSeries.set(key, series);
    }
    series.count++;
    series.observe(seconds);
  }

  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
