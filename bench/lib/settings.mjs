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
