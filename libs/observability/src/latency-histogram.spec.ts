import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './latency-histogram.js';

const BUCKETS = [0.01, 0.1, 1];
const SAMPLES = [0.005, 0.01, 0.05, 0.5, 3];

describe('LatencyHistogram', () => {
  it('exposes exactly what prom-client’s Histogram exposes for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const observe = new LatencyHistogram(ours, { name: 'latency_seconds', help: 'Latency.', buckets: BUCKETS }).series({ route: '/a' });
    const reference = new Histogram({ name: 'latency_seconds', help: 'Latency.', labelNames: ['route'], buckets: BUCKETS, registers: [theirs] });
    for (const seconds of SAMPLES) {
      observe(seconds);
      reference.observe({ route: '/a' }, seconds);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain('latency_seconds_bucket{le="0.01",route="/a"} 2');
  });

  it('keeps series apart and hands out the same series for equal labels', async () => {
    const registry = new Registry();
    const histogram = new LatencyHistogram(registry, { name: 'latency_seconds', help: 'Latency.', buckets: BUCKETS });
    histogram.series({ route: '/a' })(0.5);
    histogram.series({ route: '/a' })(0.5);
    histogram.series({ route: '/b' })(0.5);
    const text = await registry.metrics();
    expect(text).toContain('latency_seconds_count{route="/a"} 2');
    expect(text).toContain('latency_seconds_count{route="/b"} 1');
  });
});
