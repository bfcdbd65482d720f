// `npm run bench`: GET /api/v1/lobby through the Nest gateway against the same fan-out written by
// hand on plain Fastify (bench/handwritten-lobby.mjs), both in front of the same player-service and
// table-service; and a second gateway spreading the same calls over two instances of each service. Prints a table and writes bench/results/<YYYY-MM-DD>.json. See bench/README.md.
import { PLAYER_SERVICE, TABLE_SERVICE } from '@portico/contracts';
import jwt from 'jsonwebtoken';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { exitPaths, start } from './lib/processes.mjs';
import { freePorts, waitForGrpcServing, waitForHttpOk } from './lib/probes.mjs';
import { writeResults } from './lib/results.mjs';
import { assertNoFailedRequests, DISTURBED_PERCENT, failedRequestsOf, measureAlternating, tableLines } from './lib/rounds.mjs';
import { benchSettings } from './lib/settings.mjs';
import { loadAverage, announceRun, machine, round } from './lib/system.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const TARGET_RATIO = 0.8;
const LOBBY_PATH = '/api/v1/lobby';

// The gateway's defaults, passed to both servers explicitly so they are equal by construction.
const REQUIRED_SOURCE_TIMEOUT_MS = 2_000;
const OPTIONAL_SOURCE_TIMEOUT_MS = 800;
const JWT_CLOCK_TOLERANCE_S = 5;

const EQUAL_WORK =
  'Both servers verify the same HS256 token with jsonwebtoken.verify (pinned algorithm, 5 s clock tolerance, exp and sub required), ' +
  'call ListTables (2000 ms deadline) then BatchGetPlayers for the unique seated ids (800 ms deadline) with the same generated ' +
  'grpc-js clients and channel options, send x-request-id as gRPC metadata and response header, and answer the same JSON ' +
  '(deep-equal, checked before and after the runs). The hand-written server has no Nest pipeline, passport, metrics, ' +
  'request logging or abort-on-disconnect wiring: the difference is what those cost.';

const settings = benchSettings();

// ---------------------------------------------------------------------------------------------
// Exit paths: every one of them stops the children (processes.mjs also SIGKILLs them on 'exit').

const finish = exitPaths();

// ---------------------------------------------------------------------------------------------

const step = (message) => process.stdout.write(`• ${message}\n`);

async function fetchLobby(url, token) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, contentType: response.headers.get('content-type'), body, text };
}

/** Both answer 200 with the same complete lobby, or the comparison would be meaningless. */
async function verifySameAnswer(targets, token, when) {
  const answers = await Promise.all(targets.map((target) => fetchLobby(target.url, token)));
  const [gateway] = answers;
  const problems = [];
  targets.forEach((target, index) => {
    const answer = answers[index];
    if (answer.status !== 200) problems.push(`${target.label} answered HTTP ${answer.status}: ${answer.text.slice(0, 500)}`);
    else if (!/^application\/json/.test(answer.contentType ?? '')) problems.push(`${target.label} answered content-type ${answer.contentType}`);
  });
  if (problems.length === 0) {
    const differing = targets.findIndex((_, index) => !isDeepStrictEqual(gateway.body, answers[index].body));
    if (differing >= 0) {
      problems.push(`the bodies differ:\n  ${targets[0].label}: ${gateway.text}\n  ${targets[differing].label}: ${answers[differing].text}`);
    } else if (gateway.body.partial !== false || !Array.isArray(gateway.body.tables) || gateway.body.tables.length === 0) {
      problems.push(`the lobby is not a complete, non-empty answer: ${gateway.text}`);
    }
  }
  if (problems.length > 0) throw new Error(`verification ${when} failed:\n- ${problems.join('\n- ')}`);
  return gateway.body;
}

function printReport(report) {
  const { gateway, handwritten, pooled } = report.results;
  const rows = [
    ['', 'req/s (mean)', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'RSS MiB', 'CPU ms/req', 'other CPU %'],
    ...[
      ['gateway (Nest)', gateway],
      ['hand-written (Fastify)', handwritten],
      ['gateway, 2 instances/service', pooled],
    ].map(([label, r]) => [
      label,
      r.requestsPerSecMean.toFixed(1),
      r.latencyP50Ms.toFixed(1),
      r.latencyP99Ms.toFixed(1),
      String(r.non2xx),
      String(r.errors),
      r.rssMiB.toFixed(1),
      r.cpuMsPerRequest?.toFixed(3) ?? '-',
      r.otherCpuPercent.toFixed(1),
    ]),
  ];
  const verdict = report.pass ? 'PASS' : 'FAIL';
  process.stdout.write(
    [
      '',
      `GET ${LOBBY_PATH} — ${settings.rounds} alternating rounds of ${settings.durationS} s × ${settings.connections} connections each, after a ${settings.warmupS} s warm-up of both`,
      `${report.machine.cpuModel}, ${report.machine.cores} cores shared by autocannon, both gRPC services and the server under test; node ${report.machine.node}`,
      '',
      ...tableLines(rows),
      '',
      `ratio gateway / hand-written: ${report.ratio.toFixed(3)}   target ≥ ${TARGET_RATIO.toFixed(2)}   ${verdict}`,
      `ratio gateway over 2 instances per service / over 1: ${report.pooledRatio.toFixed(3)} (same cores: this is the cost of spreading, not a scale-out)`,
      ...(report.disturbed ? ['(disturbed: other processes used the CPU during a measured run; see "other CPU %")'] : []),
      `gateway RSS after the run: ${gateway.rssMiB.toFixed(1)} MiB (peak ${gateway.peakRssMiB.toFixed(1)} MiB, ${gateway.rssIdleMiB.toFixed(1)} MiB before the load)`,
      `hand-written RSS after the run: ${handwritten.rssMiB.toFixed(1)} MiB (peak ${handwritten.peakRssMiB.toFixed(1)} MiB, ${handwritten.rssIdleMiB.toFixed(1)} MiB before the load)`,
      ...logSummary(report.logs),
      '',
      `Equal work: ${EQUAL_WORK}`,
      '',
    ].join('\n'),
  );
}

function logSummary(logs) {
  const noisy = Object.entries(logs).filter(([, log]) => log.lines > 0);
  if (noisy.length === 0) return ['log lines written at LOG_LEVEL=warn during the benchmark: none'];
  return [
    'log lines written at LOG_LEVEL=warn during the benchmark (warm-ups included):',
    ...noisy.flatMap(([name, log]) => [
      `  ${name}: ${log.lines}`,
      ...Object.entries(log.messages).map(([message, count]) => `    ${String(count).padStart(6)} × ${message}`),
    ]),
  ];
}

async function main() {
  const startedAt = new Date();
  const loadBefore = loadAverage();
  const busyBefore = await announceRun(step, settings, DISTURBED_PERCENT);

  const [playerPort, tablePort, gatewayPort, handwrittenPort, pooledPort, player2Port, table2Port] = await freePorts(7);
  const playerAddress = `127.0.0.1:${playerPort}`;
  const tableAddress = `127.0.0.1:${tablePort}`;
  const player2Address = `127.0.0.1:${player2Port}`;
  const table2Address = `127.0.0.1:${table2Port}`;
  const secret = randomBytes(32).toString('hex');
  const common = { NODE_ENV: 'production', LOG_LEVEL: 'warn', PLAYER_SERVICE_URL: playerAddress, TABLE_SERVICE_URL: tableAddress };
  const serverEnv = {
    ...common,
    HOST: '127.0.0.1',
    JWT_SECRET: secret,
    // The benchmark's few users would exhaust the default limit within a second; it measures the pipeline without it.
    RATE_LIMIT_DEFAULT: 'off',
    // One user's lobby would be a cache hit after the first request; the policies scenario measures the cache.
    CACHE_ENABLED: 'false',
    JWT_CLOCK_TOLERANCE_S: String(JWT_CLOCK_TOLERANCE_S),
    REQUIRED_SOURCE_TIMEOUT_MS: String(REQUIRED_SOURCE_TIMEOUT_MS),
    OPTIONAL_SOURCE_TIMEOUT_MS: String(OPTIONAL_SOURCE_TIMEOUT_MS),
  };

  step(`starting player-service (${playerAddress}, ${player2Address}) and table-service (${tableAddress}, ${table2Address})`);
  const player = start('player-service', 'dist/apps/player-service/main.js', common, { cwd: ROOT });
  const table = start('table-service', 'dist/apps/table-service/main.js', common, { cwd: ROOT });
  const player2 = start('player-service-2', 'dist/apps/player-service/main.js', { ...common, PLAYER_SERVICE_URL: player2Address }, { cwd: ROOT });
  const table2 = start('table-service-2', 'dist/apps/table-service/main.js', { ...common, TABLE_SERVICE_URL: table2Address }, { cwd: ROOT });
  await Promise.all([
    waitForGrpcServing(player, playerAddress, PLAYER_SERVICE),
    waitForGrpcServing(table, tableAddress, TABLE_SERVICE),
    waitForGrpcServing(player2, player2Address, PLAYER_SERVICE),
    waitForGrpcServing(table2, table2Address, TABLE_SERVICE),
  ]);

  step(`starting the gateway (:${gatewayPort}) and the hand-written server (:${handwrittenPort})`);
  const targets = [
    {
      key: 'gateway',
      label: 'gateway',
      url: `http://127.0.0.1:${gatewayPort}${LOBBY_PATH}`,
      child: start('gateway', 'dist/apps/gateway/main.js', { ...serverEnv, PORT: String(gatewayPort) }, { cwd: ROOT }),
    },
    {
      key: 'handwritten',
      label: 'hand-written',
      url: `http://127.0.0.1:${handwrittenPort}${LOBBY_PATH}`,
      child: start('hand-written', 'bench/handwritten-lobby.mjs', { ...serverEnv, PORT: String(handwrittenPort) }, { cwd: ROOT }),
    },
    {
      key: 'pooled',
      label: 'gateway, 2 instances/service',
      url: `http://127.0.0.1:${pooledPort}${LOBBY_PATH}`,
      child: start(
        'gateway-pooled',
        'dist/apps/gateway/main.js',
        {
          ...serverEnv,
          PORT: String(pooledPort),
          PLAYER_SERVICE_URL: `${playerAddress},${player2Address}`,
          TABLE_SERVICE_URL: `${tableAddress},${table2Address}`,
        },
        { cwd: ROOT },
      ),
    },
  ];
  const token = jwt.sign({ roles: ['player'] }, secret, { subject: 'p1', algorithm: 'HS256', expiresIn: '1h' });
  const authorization = { authorization: `Bearer ${token}` };
  await Promise.all(targets.map((target) => waitForHttpOk(target.child, target.url, authorization)));

  const lobby = await verifySameAnswer(targets, token, 'before the runs');
  step(`both answer 200 with the same lobby (${lobby.tables.length} tables, ${lobby.tables.flatMap((t) => t.seats).length} seated players)`);
  const backends = [player, table, player2, table2];
  const everyone = [...backends, ...targets.map((target) => target.child)];
  for (const child of everyone) child.quiet();

  for (const target of targets) target.request = { headers: authorization };
  const results = await measureAlternating({ targets, settings, step, backends, everyone });
  await verifySameAnswer(targets, token, 'after the runs');
  await new Promise((resolve) => setTimeout(resolve, 250)); // let the last log lines arrive
  const logs = Object.fromEntries(
    everyone.map((child) => [child.name, { lines: child.summarised, messages: Object.fromEntries(child.messages) }]),
  );

  const ratio = round(results.gateway.requestsPerSecMean / results.handwritten.requestsPerSecMean, 3);
  const pooledRatio = round(results.pooled.requestsPerSecMean / results.gateway.requestsPerSecMean, 3);
  const failedRequests = failedRequestsOf(results);
  const report = {
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    benchmark: `GET ${LOBBY_PATH}`,
    machine: machine(ROOT),
    machineBusyPercentBefore: busyBefore,
    loadAverage: { before: loadBefore, after: loadAverage() },
    settings: {
      ...settings,
      requiredSourceTimeoutMs: REQUIRED_SOURCE_TIMEOUT_MS,
      optionalSourceTimeoutMs: OPTIONAL_SOURCE_TIMEOUT_MS,
      logLevel: 'warn',
      order: targets.map((target) => target.key),
    },
    equalWork: EQUAL_WORK,
    results,
    logs,
    ratio,
    pooledRatio,
    target: TARGET_RATIO,
    pass: failedRequests.length === 0 && ratio >= TARGET_RATIO,
    failedRequests,
    /** Other processes took a noticeable share of the CPU during a measured run: compare with care. */
    disturbed: Object.values(results).some((r) => r.otherCpuPercent > DISTURBED_PERCENT),
  };
  printReport(report);

  const file = writeResults(RESULTS_DIR, 'lobby', report);
  step(`results written to ${file.slice(ROOT.length)}`);

  assertNoFailedRequests(failedRequests);
}

main().then(
  () => finish(0),
  (error) => finish(1, error),
);
