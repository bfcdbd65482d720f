// `npm start`: the whole demo (both gRPC services, two HTTP echo upstreams for the example route file,
// and the gateway) on embedded defaults.
// Each app reads the same environment it would in production, so REDIS_URL, PORT and the rest apply here too.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

// A local .env (see .env.example) applies to every app; variables already set in the shell win.
if (existsSync('.env')) process.loadEnvFile('.env');

// The example route file proxies /api/echo/* to the two echo upstreams started below.
process.env.ROUTES_FILE ??= 'config/routes.example.yaml';

const APPS = [
  ['player-service', 'dist/apps/player-service/main.js'],
  ['table-service', 'dist/apps/table-service/main.js'],
  ['echo-a', 'scripts/demo-upstream.mjs', 'echo-a', '4001'],
  ['echo-b', 'scripts/demo-upstream.mjs', 'echo-b', '4002'],
  ['gateway', 'dist/apps/gateway/main.js'],
  // Session analytics are aggregated by the worker from the Redis stream; without Redis the gateway
  // aggregates in process and there is nothing for a worker to consume.
  ...(process.env.REDIS_URL ? [['analytics-worker', 'dist/apps/analytics-worker/main.js']] : []),
];
const port = process.env.PORT ?? '3000';
const children = new Map();
let stopping = false;

function start([app, script, ...args]) {
  // Own process group: a terminal's Ctrl-C reaches only this script, which then signals each app exactly once
  // (a second signal would cut an app's drain short).
  const child = spawn(process.execPath, [script, ...args], { stdio: 'inherit', env: process.env, detached: true });
  children.set(app, child);
  child.on('exit', (code, signal) => {
    children.delete(app);
    if (!stopping) {
      console.error(`\n${app} exited unexpectedly (${signal ?? `code ${code}`}); stopping the demo.`);
      void stop(1);
    } else if (children.size === 0) {
      process.exit(process.exitCode ?? 0);
    }
  });
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  for (const child of children.values()) child.kill('SIGTERM');
  if (children.size === 0) process.exit(code);
  await sleep(15_000);
  for (const child of children.values()) child.kill('SIGKILL');
}

async function waitUntilReady() {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !stopping) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) return true;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  return false;
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

for (const app of APPS) start(app);

if (await waitUntilReady()) {
  const token = execFileSync(process.execPath, ['dist/apps/gateway/cli/token.js', '--sub', 'p1', '--roles', 'player,admin'], {
    encoding: 'utf8',
  }).trim();
  const base = `http://localhost:${port}`;
  console.log(`
Portico demo is up.
  API docs     ${base}/api/docs
  Metrics      ${base}/metrics
  Readiness    ${base}/health/ready
  A token for player p1 (roles player, admin; 1 hour):
    export TOKEN=${token}
  Try:
    curl -H "authorization: Bearer $TOKEN" ${base}/api/v1/lobby
    curl -H "authorization: Bearer $TOKEN" -X POST ${base}/api/v1/tables/t4/join
    curl ${base}/api/echo/public/hello                      (route file: config/routes.example.yaml)
    curl -H "authorization: Bearer $TOKEN" ${base}/admin/upstreams
    curl -H "authorization: Bearer $TOKEN" ${base}/api/v1/analytics/sessions
  Ctrl-C stops everything.
`);
} else if (!stopping) {
  console.error('The gateway did not become ready within 30 s; stopping the demo.');
  await stop(1);
}
