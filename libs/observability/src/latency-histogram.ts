import type { Registry } from 'prom-client';

interface Series {
  labels: Readonly<Record<string, string>>;
  /** Observations per bucket, not cumulative; the last slot is above the highest bound. */
  counts: number[];
  sum: number;
  count: number;
}

export interface LatencyHistogramOptions {
  name: string;
  help: string;
  buckets: readonly number[];
}

/**
 * A Prometheus histogram for the per-request hot path. prom-client's Histogram validates and hashes
 * the label object on every observation, even through a cached child: measured at about 2% of the
 * proxy's CPU per request. Here a caller resolves its series once and observes into plain arrays;
 * the exposition is built at scrape time, in the format prom-client writes.
 */
export class LatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly bounds: readonly number[];
  private readonly all = new Map<string, Series>();

  constructor(registry: Registry, options: LatencyHistogramOptions) {
    this.name = options.name;
    this.help = options.help;
    this.bounds = [...options.buckets].sort((a, b) => a - b);
    // prom-client's registry accepts any object that answers get() with name, help, type and values.
    registry.registerMetric(this as never);
  }

  /** The observer of one label set; keep it, and call it per observation. */
  series(labels: Readonly<Record<string, string>>): (seconds: number) => void {
    const key = JSON.stringify(labels);
    let series = this.all.get(key);
    if (!series) {
      series = { labels, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      this.all.set(key, series);
    }
    const target = series;
    const bounds = this.bounds;
    return (seconds) => {
      let index = 0;
      while (index < bounds.length && seconds > bounds[index]!) index++;
      target.counts[index]!++;
      target.sum += seconds;
      target.count++;
    };
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: { metricName: string; labels: Record<string, string | number>; value: number }[] } {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const { labels, counts, sum, count } of this.all.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, index) => {
        cumulative += counts[index]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels, value: count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.all.clear();
  }
}
