// Open-loop load at a fixed rate, for latency below saturation.
//
// autocannon's overallRate is not that: each connection gets rate/connections requests per second,
// sends them back to back as fast as answers come, then waits for the next second. Half the rate
// means saturation for half of every second, and its latency is close to the saturated latency.
// Here request i is sent at start + i/rate whatever the answers do (a slow answer queues the next
// requests on the pool instead of delaying them: no coordinated omission), and every latency is kept
// with sub-millisecond precision. It runs in its own process so the benchmark's own garbage
// (autocannon's, in-process) never pauses it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const SELF = fileURLToPath(import.meta.url);
/** Node timers fire at best every millisecond: requests due in between go out together on the next tick. */
const TICK_MS = 1;
const REQUEST_TIMEOUT_MS = 10_000;

function percentile(sorted, fraction) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

const r3 = (value) => (value === null ? null : Math.round(value * 1000) / 1000);

/**
 * Sends requests at the times `schedule(i)` (ms from the start) gives, up to `total`, and waits for
 * every answer. Returns the latencies and how late the generator dispatched.
 */
async function drive(pool, path, headers, total, schedule) {
  const latencies = new Float64Array(total);
  const lateness = new Float64Array(total);
  const statusCodes = {};
  let completed = 0;
  let sent = 0;
  let settled = 0;
  let errors = 0;
  let firstError;
  let lastDispatch = 0;
  const start = performance.now();
  await new Promise((resolve) => {
    const settle = () => {
      if (++settled === total) resolve();
    };
    const send = (index) => {
      // Measured from the moment the request is handed to the pool, which queues it when every
      // connection is busy: waiting for a connection counts, the generator's own timer lag does not
      // (that is `lateDispatch`, reported to show the generator kept up).
      const dispatched = performance.now();
      lateness[index] = dispatched - start - schedule(index);
      lastDispatch = dispatched;
      let status = 0;
      // dispatch() with bare callbacks rather than request(): no stream and no promise per request.
      // A third of the garbage, and the generator's own collections no longer show in the p99.
      pool.dispatch(
        { path, method: 'GET', headers },
        {
          onRequestStart() {},
          onResponseStart(_controller, statusCode) {
            status = statusCode;
          },
          onResponseData() {},
          onResponseEnd() {
            latencies[completed++] = performance.now() - dispatched;
            statusCodes[status] = (statusCodes[status] ?? 0) + 1;
            settle();
          },
          onResponseError(_controller, error) {
            errors += 1;
            firstError ??= `${error.code ?? error.name}: ${error.message}`;
            settle();
          },
        },
      );
    };
    const tick = () => {
      const now = performance.now() - start;
      while (sent < total && schedule(sent) <= now) send(sent++);
      if (sent < total) setTimeout(tick, TICK_MS);
    };
    tick();
  });
  return { latencies: latencies.subarray(0, completed), lateness, statusCodes, errors, firstError, sendingS: (lastDispatch - start) / 1000 };
}

async function generate({ url, headers = {}, rate, durationS, warmupS, connections }) {
  const target = new URL(url);
  const path = `${target.pathname}${target.search}`;
  const pool = new Pool(target.origin, { connections, pipelining: 1, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
  const intervalMs = 1000 / rate;

  // A cold generator (and a cold undici) falls behind a full rate for its first seconds, and the
  // backlog then takes seconds to drain: ramp up linearly to the rate first, unmeasured.
  if (warmupS > 0) {
    // Request i of a ramp from 0 to `rate` over warmupS is due at sqrt(2 · warmupS · i / rate) seconds.
    const warmupTotal = Math.max(1, Math.round((rate * warmupS) / 2));
    await drive(pool, path, headers, warmupTotal, (index) => 1000 * Math.sqrt((2 * warmupS * index) / rate));
  }

  const total = Math.max(1, Math.round(rate * durationS));
  const run = await drive(pool, path, headers, total, (index) => index * intervalMs);
  await pool.close();
  const cpu = process.cpuUsage();

  // Typed arrays sort numerically.
  const latencies = run.latencies.sort();
  const late = run.lateness.sort();
  const non2xx = Object.entries(run.statusCodes).reduce((sum, [code, count]) => sum + (code.startsWith('2') ? 0 : count), 0);
  return {
    rate,
    requests: total,
    completed: latencies.length,
    sentPerSec: r3(total / Math.max(run.sendingS, 1e-3)),
    latencyMeanMs: r3(latencies.length > 0 ? latencies.reduce((sum, value) => sum + value, 0) / latencies.length : null),
    latencyP50Ms: r3(percentile(latencies, 0.5)),
    latencyP90Ms: r3(percentile(latencies, 0.9)),
    latencyP99Ms: r3(percentile(latencies, 0.99)),
    latencyP999Ms: r3(percentile(latencies, 0.999)),
    latencyMaxMs: r3(latencies.at(-1) ?? null),
    lateDispatchP99Ms: r3(percentile(late, 0.99)),
    lateDispatchMaxMs: r3(late.at(-1)),
    statusCodes: run.statusCodes,
    non2xx,
    errors: run.errors,
    firstError: run.firstError,
    /** This generator process's CPU from its start, ramp included, to tell the machine's other work apart. */
    generatorCpuMs: r3((cpu.user + cpu.system) / 1000),
  };
}

let running;
process.on('exit', () => running?.kill('SIGKILL'));

/** Runs the generator in a child process and resolves with its result. */
export function pacedLoad(options) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SELF, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
    running = child;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      running = undefined;
      if (code === 0) resolve(JSON.parse(stdout));
      else reject(new Error(`paced load generator exited with ${signal ?? `code ${code}`}: ${stderr.trim()}`));
    });
  });
}

if (process.argv[1] === SELF) {
  const result = await generate(JSON.parse(process.argv[2]));
  process.stdout.write(JSON.stringify(result));
}
