import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { grpcAddress, port, redisUrl } from './fields.js';
import { ConfigError, loadConfig } from './load-config.js';

const schema = z.object({
  PORT: port(3000),
  UPSTREAM: grpcAddress('127.0.0.1:50051'),
  REDIS_URL: redisUrl,
});

describe('loadConfig', () => {
  it('applies defaults when variables are unset or empty', () => {
    expect(loadConfig(schema, { PORT: '' })).toEqual({ PORT: 3000, UPSTREAM: '127.0.0.1:50051' });
  });

  it('coerces and keeps valid values', () => {
    expect(loadConfig(schema, { PORT: '8080', REDIS_URL: 'redis://127.0.0.1:6379' })).toMatchObject({
      PORT: 8080,
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
  });

  it('names every bad variable in one error', () => {
    const error = (() => {
      try {
        loadConfig(schema, { PORT: 'eighty', UPSTREAM: 'http://x', REDIS_URL: 'http://nope' });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('PORT:');
    expect(message).toContain('UPSTREAM: expected host:port');
    expect(message).toContain('REDIS_URL: expected a redis:// or rediss:// URL');
  });
});
