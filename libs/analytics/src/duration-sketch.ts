/**
 * Log-spaced duration buckets (the DDSketch mapping): a duration d ≥ 1 ms falls in bucket
 * ceil(log_γ d), and each bucket is reported as the value within 1% of everything in it. Counts per
 * bucket can be summed with HINCRBY, so the p95 of a day needs a few hundred counters instead of
 * every duration, with a relative error of at most 1%.
 */
export const RELATIVE_ACCURACY = 0.01;

const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);

/** Bucket of zero-length durations (below 1 ms). */
const ZERO_BUCKET = -1;

export function bucketOf(durationMs: number): number {
  return durationMs < 1 ? ZERO_BUCKET : Math.ceil(Math.log(durationMs) / LOG_GAMMA);
}

function representative(bucket: number): number {
  return bucket === ZERO_BUCKET ? 0 : (2 * GAMMA ** bucket) / (GAMMA + 1);
}

/** The nearest-rank quantile `q` (0-1] of the durations counted in `buckets`, rounded to whole ms; undefined when empty. */
export function quantile(buckets: ReadonlyMap<number, number>, q: number): number | undefined {
  const total = [...buckets.values()].reduce((sum, count) => sum + count, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const bucket of [...buckets.keys()].sort((a, b) => a - b)) {
    seen += buckets.get(bucket)!;
    if (seen >= rank) return Math.round(representative(bucket));
  }
  return undefined;
}
