// `npm run bench`: the scenarios one after the other, each in its own process (each owns and stops
// its children). BENCH_SCENARIO=lobby|proxy|policies|realtime|all picks them; default all. See bench/README.md.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCENARIOS = {
  lobby: fileURLToPath(new URL('./lobby.mjs', import.meta.url)),
  proxy: fileURLToPath(new URL('./proxy.mjs', import.meta.url)),
  policies: fileURLToPath(new URL('./policies.mjs', import.meta.url)),
  realtime: fileURLToPath(new URL('./realtime.mjs', import.meta.url)),
};

const chosen = process.env.BENCH_SCENARIO || 'all';
if (chosen !== 'all' && !(chosen in SCENARIOS)) {
  process.stderr.write(`BENCH_SCENARIO must be one of ${[...Object.keys(SCENARIOS), 'all'].join(', ')}; got ${JSON.stringify(chosen)}\n`);
  process.exit(2);
}
const names = chosen === 'all' ? Object.keys(SCENARIOS) : [chosen];

let current;
// Ctrl-C reaches the scenario directly (same process group); a signal sent to this process alone is passed on.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => current?.kill('SIGTERM'));

const failed = [];
for (const name of names) {
  process.stdout.write(`\n=== bench scenario: ${name}\n`);
  const { code, signal } = await new Promise((resolve) => {
    current = spawn(process.execPath, [SCENARIOS[name]], { stdio: 'inherit' });
    current.once('exit', (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal }));
  });
  current = undefined;
  // 130 / 143: the scenario was interrupted; the next one would be too.
  if (code === 130 || code === 143 || signal) process.exit(code ?? 1);
  if (code !== 0) failed.push(`${name} (exit ${code})`);
}
if (failed.length > 0) {
  process.stderr.write(`\nbench: failed scenarios: ${failed.join(', ')}\n`);
  process.exit(1);
}
