import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

describe('Metrics', () => {
  it('labels HTTP requests by method, route template and status class', async () => {
    const metrics = new Metrics();
    metrics.recordHttp('GET', '/api/v1/tables/:id', 404, 0.003);
    metrics.recordHttp('GET', '/api/v1/tables/:id', 200, 0.002);
    const { body, contentType } = await metrics.exposition();
    expect(contentType).toContain('text/plain');
    expect(body).toContain('http_server_requests_total{method="GET",route="/api/v1/tables/:id",status_class="4xx"} 1');
    expect(body).toContain('http_server_request_duration_seconds_count{method="GET",route="/api/v1/tables/:id",status_class="2xx"} 1');
    expect(body).toContain('process_cpu_seconds_total');
  });

  it('keeps each instance on its own registry', async () => {
    const first = new Metrics();
    const second = new Metrics();
    first.recordHttp('GET', '/x', 200, 0.001);
    expect((await second.exposition()).body).not.toContain('route="/x"');
  });
});
