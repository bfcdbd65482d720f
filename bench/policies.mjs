// `BENCH_SCENARIO=policies npm run bench`: what rate limiting and response caching cost on
// GET /api/v1/lobby with Redis on loopback, and how much faster a cache hit is than no cache.
// Three gateways share one Redis and one pair of services; see bench/README.md.
import { PLAYER_SERVICE, TABLE_SERVICE } from '@portico/contracts';
import jwt from 'jsonwebtoken';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { exitPaths, start, startCommand } from './lib/processes.mjs';
import { freePorts, waitForGrpcServing, waitForHttpOk, waitForRedis } from './lib/probes.mjs';
import { writeResults } from './lib/results.mjs';
import { assertNoFailedRequests, DISTURBED_PERCENT, failedRequestsOf, measureAlternating, tableLines } from './lib/rounds.mjs';
import { benchSettings } from './lib/settings.mjs';
import { announceRun, loadAverage, machine, round } from './lib/system.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const LOBBY_PATH = '/api/v1/lobby';
const MAX_COST = 0.1;
const MIN_HIT_SPEEDUP = 3;
/**
 * Distinct users the "many users" targets cycle through: enough that, at this machine's rate, a
 * user comes back only after the lobby's per-user cache entry expired, so every request of the
 * cached gateway is a miss and stores an entry (the cost of having the cache on), and the limiter
 * keeps one live key per user as in production.
 */
const USERS = 40_000;

const settings = benchSettings();
const finish = exitPaths();
const step = (message) => process.stdout.write(`• ${message}\n`);

function signer(secret) {
  return (sub) => jwt.sign({ roles: ['player'] }, secret, { subject: sub, algorithm: 'HS256', expiresIn: '2h' });
}

/** autocannon request options cycling through `tokens`, one per request. */
function rotating(tokens) {
  let next = 0;
  return {
    setupRequest(request) {
      const token = tokens[next];
      next = (next + 1) % tokens.length;
      return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
    },
  };
}

/** Cache outcomes the cached gateway counted, from its /metrics. */
async function cacheOutcomes(baseUrl) {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const outcomes = {};
  for (const match of text.matchAll(/^cache_lookups_total\{[^}]*outcome="([a-z]+)"[^}]*\} (\d+)/gm)) {
    outcomes[match[1]] = (outcomes[match[1]] ?? 0) + Number(match[2]);
  }
  return outcomes;
}

function printReport(report) {
  const rows = [
    ['', 'req/s (mean)', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'CPU ms/req'],
    ...report.targets.map(({ key, label }) => {
      const r = report.results[key];
      return [label, r.requestsPerSecMean.toFixed(1), r.latencyP50Ms.toFixed(1), r.latencyP99Ms.toFixed(1), String(r.non2xx), String(r.errors), r.cpuMsPerRequest?.toFixed(3) ?? '-'];
    }),
  ];
  const verdict = (pass) => (pass ? 'PASS' : 'FAIL');
  process.stdout.write(
    [
      '',
      `GET ${LOBBY_PATH} with policies — ${settings.rounds} alternating rounds of ${settings.durationS} s × ${settings.connections} connections, Redis on loopback`,
      `${report.machine.cpuModel}, ${report.machine.cores} cores shared by autocannon, Redis, both gRPC services and the gateways; node ${report.machine.node}`,
      '',
      ...tableLines(rows),
      '',
      `rate limiting cost (${USERS} users, limit never reached): ${(100 * report.rateLimitCost).toFixed(1)}%   target ≤ ${100 * MAX_COST}%   ${verdict(report.rateLimitCost <= MAX_COST)}`,
      `caching cost (${USERS} users, every request a miss that stores): ${(100 * report.cacheMissCost).toFixed(1)}%   target ≤ ${100 * MAX_COST}%   ${verdict(report.cacheMissCost <= MAX_COST)}`,
      `cache hit speed-up (one user): ${report.hitSpeedup.toFixed(2)}×   target ≥ ${MIN_HIT_SPEEDUP}×   ${verdict(report.hitSpeedup >= MIN_HIT_SPEEDUP)}`,
      `cache outcomes counted by the cached gateway: ${JSON.stringify(report.cacheOutcomes)}`,
      ...(report.disturbed ? ['(disturbed: other processes used the CPU during a measured run)'] : []),
      '',
    ].join('\n'),
  );
}

async function main() {
  const startedAt = new Date();
  const loadBefore = loadAverage();
  const busyBefore = await announceRun(step, settings, DISTURBED_PERCENT);
  const [redisPort, playerPort, tablePort, plainPort, limitedPort, cachedPort] = await freePorts(6);
  const secret = randomBytes(32).toString('hex');
  const playerAddress = `127.0.0.1:${playerPort}`;
  const tableAddress = `127.0.0.1:${tablePort}`;
  const common = { NODE_ENV: 'production', LOG_LEVEL: 'warn', PLAYER_SERVICE_URL: playerAddress, TABLE_SERVICE_URL: tableAddress };

  step(`starting redis-server (:${redisPort}), player-service and table-service`);
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const redis = startCommand('redis', 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {});
  const player = start('player-service', 'dist/apps/player-service/main.js', common, { cwd: ROOT });
  const table = start('table-service', 'dist/apps/table-service/main.js', common, { cwd: ROOT });
  await Promise.all([
    waitForRedis(redis, redisUrl),
    waitForGrpcServing(player, playerAddress, PLAYER_SERVICE),
    waitForGrpcServing(table, tableAddress, TABLE_SERVICE),
  ]);

  const gatewayEnv = { ...common, HOST: '127.0.0.1', JWT_SECRET: secret, REDIS_URL: redisUrl };
  const gateway = (name, port, env) => ({
    name,
    baseUrl: `http://127.0.0.1:${port}`,
    child: start(name, 'dist/apps/gateway/main.js', { ...gatewayEnv, PORT: String(port), ...env }, { cwd: ROOT }),
  });
  step(`starting three gateways: no policy (:${plainPort}), rate limited (:${limitedPort}), cached (:${cachedPort})`);
  const plain = gateway('gateway-plain', plainPort, { RATE_LIMIT_DEFAULT: 'off', CACHE_ENABLED: 'false' });
  // Far above what the machine can send, so every request is allowed and the cost is the decision itself.
  const limited = gateway('gateway-limited', limitedPort, { RATE_LIMIT_DEFAULT: '100000000/1m', CACHE_ENABLED: 'false' });
  const cached = gateway('gateway-cached', cachedPort, { RATE_LIMIT_DEFAULT: 'off', CACHE_ENABLED: 'true' });
  const sign = signer(secret);
  const one = sign('bench-one');
  const authorization = { authorization: `Bearer ${one}` };
  await Promise.all([plain, limited, cached].map((server) => waitForHttpOk(server.child, `${server.baseUrl}${LOBBY_PATH}`, authorization)));

  step(`signing ${USERS} user tokens`);
  const many = Array.from({ length: USERS }, (_, index) => sign(`bench-user-${index}`));
  const target = (key, label, server, request) => ({ key, label, child: server.child, url: `${server.baseUrl}${LOBBY_PATH}`, request });
  const targets = [
    target('plainOne', 'no policy, one user', plain, { headers: authorization }),
    target('cachedOne', 'cache on, one user (hits)', cached, { headers: authorization }),
    target('plainMany', `no policy, ${USERS} users`, plain, rotating(many)),
    target('limitedMany', `rate limit on, ${USERS} users`, limited, rotating(many)),
    target('cachedMany', `cache on, ${USERS} users (misses)`, cached, rotating(many)),
  ];
  const backends = [player, table, redis];
  const everyone = [...backends, plain.child, limited.child, cached.child];
  for (const child of everyone) child.quiet();

  const results = await measureAlternating({ targets, settings, step, backends, everyone });
  const outcomes = await cacheOutcomes(cached.baseUrl);
  const rate = (key) => results[key].requestsPerSecMean;
  const rateLimitCost = round(1 - rate('limitedMany') / rate('plainMany'), 3);
  const cacheMissCost = round(1 - rate('cachedMany') / rate('plainMany'), 3);
  const hitSpeedup = round(rate('cachedOne') / rate('plainOne'), 2);
  const failedRequests = failedRequestsOf(results);
  const report = {
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    benchmark: `GET ${LOBBY_PATH} with rate limiting and caching`,
    machine: machine(ROOT),
    machineBusyPercentBefore: busyBefore,
    loadAverage: { before: loadBefore, after: loadAverage() },
    settings: { ...settings, users: USERS },
    targets: targets.map(({ key, label }) => ({ key, label })),
    results,
    cacheOutcomes: outcomes,
    rateLimitCost,
    cacheMissCost,
    hitSpeedup,
    targetsMet: { rateLimitCost: rateLimitCost <= MAX_COST, cacheMissCost: cacheMissCost <= MAX_COST, hitSpeedup: hitSpeedup >= MIN_HIT_SPEEDUP },
    failedRequests,
    disturbed: Object.values(results).some((r) => r.otherCpuPercent > DISTURBED_PERCENT),
  };
  printReport(report);
  const file = writeResults(RESULTS_DIR, 'policies', report);
  step(`results written to ${file.slice(ROOT.length)}`);
  assertNoFailedRequests(failedRequests);
}

main().then(
  () => finish(0),
  (error) => finish(1, error),
);
