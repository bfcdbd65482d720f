import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from './support/free-port.js';
import { TEST_JWT_SECRET } from './support/stack.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const EXIT_BOUND_MS = 15_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built gateway with exactly this environment and waits for it to exit on its own. A gateway
 * that starts instead of refusing the configuration is killed after the bound and reported as such.
 */
async function runGateway(env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, ['dist/apps/gateway/main.js'], {
    cwd: ROOT,
    // Nothing it could dial: a gateway that wrongly starts still fails fast and predictably.
    env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', PORT: String(await freePort()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), EXIT_BOUND_MS);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
    );
    return { code, signal, stdout, stderr };
  } finally {
    clearTimeout(killer);
  }
}

function expectRefused(run: Run, variable: string, message?: RegExp): void {
  const context = `exit ${run.code} (${run.signal})\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
  expect(run.signal, `the gateway had to be killed: it did not refuse the configuration\n${context}`).toBeNull();
  expect(run.code, context).toBe(1);
  expect(run.stderr, context).toContain('Invalid configuration');
  expect(run.stderr, context).toMatch(new RegExp(`^\\s*- ${variable}:`, 'm'));
  if (message) expect(run.stderr, context).toMatch(message);
  // Refused before anything started: no Nest boot lines, no listener.
  expect(run.stdout, context).not.toContain('gateway listening');
  expect(run.stdout, context).not.toContain('Starting Nest application');
}

describe('the gateway refuses a bad configuration at boot', () => {
  it('PORT=abc exits 1 and names PORT on stderr', async () => {
    expectRefused(await runGateway({ PORT: 'abc', JWT_SECRET: TEST_JWT_SECRET }), 'PORT');
  });

  it('PORT out of range exits 1 and names PORT', async () => {
    expectRefused(await runGateway({ PORT: '70000', JWT_SECRET: TEST_JWT_SECRET }), 'PORT');
  });

  it('a PLAYER_SERVICE_URL with a scheme exits 1 and names PLAYER_SERVICE_URL', async () => {
    expectRefused(await runGateway({ PLAYER_SERVICE_URL: 'http://player:50051', JWT_SECRET: TEST_JWT_SECRET }), 'PLAYER_SERVICE_URL');
  });

  it('a PLAYER_SERVICE_URL without a port exits 1 and names PLAYER_SERVICE_URL', async () => {
    expectRefused(await runGateway({ PLAYER_SERVICE_URL: 'player-service', JWT_SECRET: TEST_JWT_SECRET }), 'PLAYER_SERVICE_URL');
  });

  it('a TRUST_PROXY entry that is no address or range exits 1 naming TRUST_PROXY and the entry', async () => {
    expectRefused(await runGateway({ TRUST_PROXY: '10.0.0.0/8,proxy.internal', JWT_SECRET: TEST_JWT_SECRET }), 'TRUST_PROXY', /"proxy\.internal" is not an IP address/);
  });

  it('ROUTES_WATCH that is no boolean exits 1 naming ROUTES_WATCH', async () => {
    expectRefused(await runGateway({ ROUTES_WATCH: 'sometimes', JWT_SECRET: TEST_JWT_SECRET }), 'ROUTES_WATCH');
  });

  it('JWT_SECRET and JWT_JWKS_URI together exit 1 naming JWT_SECRET', async () => {
    expectRefused(
      await runGateway({ JWT_SECRET: TEST_JWT_SECRET, JWT_JWKS_URI: 'http://127.0.0.1:9/.well-known/jwks.json' }),
      'JWT_SECRET',
      /only one of/,
    );
  });

  it('NODE_ENV=production without any key exits 1 naming JWT_SECRET', async () => {
    expectRefused(await runGateway({ NODE_ENV: 'production' }), 'JWT_SECRET', /production/);
  });

  it('a JWT_SECRET shorter than 16 characters exits 1 naming JWT_SECRET', async () => {
    expectRefused(await runGateway({ JWT_SECRET: 'short' }), 'JWT_SECRET');
  });

  it('an asymmetric JWT_ALGORITHM with only a secret exits 1 naming JWT_ALGORITHM', async () => {
    expectRefused(await runGateway({ JWT_SECRET: TEST_JWT_SECRET, JWT_ALGORITHM: 'RS256' }), 'JWT_ALGORITHM');
  });

  // ConfigError promises to name every bad variable; the cross-variable key rules must not wait for PORT to be fixed.
  it('every bad variable is named at once, the key rules included', async () => {
    const run = await runGateway({ PORT: 'abc', TABLE_SERVICE_URL: 'nope', NODE_ENV: 'production' });

    expectRefused(run, 'PORT');
    expect(run.stderr).toMatch(/^\s*- TABLE_SERVICE_URL:/m);
    expect(run.stderr).toMatch(/^\s*- JWT_SECRET:/m);
  });
});
