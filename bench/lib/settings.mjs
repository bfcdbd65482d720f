// The BENCH_* variables every scenario reads (bench/README.md lists them).

function positiveInteger(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

/** Read once per script, so a bad value stops the run before anything starts. */
export function benchSettings() {
  return {
    durationS: positiveInteger('BENCH_DURATION_S', 10),
    connections: positiveInteger('BENCH_CONNECTIONS', 50),
    warmupS: positiveInteger('BENCH_WARMUP_S', 2),
    rounds: positiveInteger('BENCH_ROUNDS', 3),
  };
}

/** The realtime scenario's own variables (bench/README.md, "The realtime scenario"). */
export function realtimeSettings() {
  return {
    sockets: positiveInteger('BENCH_RT_SOCKETS', 10_000),
    fanoutSockets: positiveInteger('BENCH_RT_FANOUT_SOCKETS', 2_000),
    stormRatePerSec: positiveInteger('BENCH_RT_STORM_RATE', 1_000),
    stormSeconds: positiveInteger('BENCH_RT_STORM_S', 5),
    connectConcurrency: positiveInteger('BENCH_RT_CONNECT_CONCURRENCY', 200),
    broadcasts: positiveInteger('BENCH_RT_BROADCASTS', 15),
    fanoutSamples: positiveInteger('BENCH_RT_FANOUT_SAMPLES', 50),
    workers: positiveInteger('BENCH_RT_WORKERS', 4),
  };
}
