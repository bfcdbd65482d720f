import { loadConfig } from '@portico/config';
import { describe, expect, it } from 'vitest';
import { envExampleKeys } from '../../../test/support/env-example.js';
import { analyticsWorkerEnvironment } from './analytics-worker.config.js';

describe('analytics-worker configuration', () => {
  it('documents every variable in .env.example', () => {
    const documented = envExampleKeys();
    expect(Object.keys(analyticsWorkerEnvironment.shape).filter((key) => !documented.has(key))).toEqual([]);
  });

  it('requires REDIS_URL, naming it', () => {
    expect(() => loadConfig(analyticsWorkerEnvironment, {})).toThrow(/REDIS_URL: required: the worker consumes the analytics stream from Redis/);
  });

  it('refuses a URL that is not redis://', () => {
    expect(() => loadConfig(analyticsWorkerEnvironment, { REDIS_URL: 'http://x' })).toThrow(/REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL/);
  });

  it('gives each process its own consumer name by default', () => {
    const env = loadConfig(analyticsWorkerEnvironment, { REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(env.ANALYTICS_CONSUMER).toMatch(/-\d+-[0-9a-f]{6}$/);
    expect(env.ANALYTICS_STREAM).toBe('portico:analytics');
  });

  it('names a bad number', () => {
    expect(() => loadConfig(analyticsWorkerEnvironment, { REDIS_URL: 'redis://r', ANALYTICS_BATCH_SIZE: '0' })).toThrow(/ANALYTICS_BATCH_SIZE/);
  });
});
