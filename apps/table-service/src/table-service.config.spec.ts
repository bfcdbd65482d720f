import { loadConfig } from '@portico/config';
import { describe, expect, it } from 'vitest';
import { envExampleKeys } from '../../../test/support/env-example.js';
import { tableServiceEnvironment } from './table-service.config.js';

describe('table-service configuration', () => {
  it('documents every variable in .env.example', () => {
    const documented = envExampleKeys();
    expect(Object.keys(tableServiceEnvironment.shape).filter((key) => !documented.has(key))).toEqual([]);
  });

  it('refuses a listen address that is not host:port', () => {
    expect(() => loadConfig(tableServiceEnvironment, { TABLE_SERVICE_URL: 'grpc://x' })).toThrow(/TABLE_SERVICE_URL: expected host:port/);
  });
});
