import { loadConfig } from '@portico/config';
import { describe, expect, it } from 'vitest';
import { envExampleKeys } from '../../../test/support/env-example.js';
import { playerServiceEnvironment } from './player-service.config.js';

describe('player-service configuration', () => {
  it('documents every variable in .env.example', () => {
    const documented = envExampleKeys();
    expect(Object.keys(playerServiceEnvironment.shape).filter((key) => !documented.has(key))).toEqual([]);
  });

  it('refuses a listen address that is not host:port', () => {
    expect(() => loadConfig(playerServiceEnvironment, { PLAYER_SERVICE_URL: 'grpc://x' })).toThrow(/PLAYER_SERVICE_URL: expected host:port/);
  });
});
