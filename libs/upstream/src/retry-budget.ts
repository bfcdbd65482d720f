export interface RetryBudgetOptions {
  /** Retries may be at most this share of first attempts, e.g. 0.2 for 20%. */
  ratio: number;
  /** Retries always allowed at this rate, so an upstream with little traffic can still be retried. */
  minPerSecond: number;
  /** How far back requests and retries count. */
  windowMs: number;
  /** Defaults to Date.now. */
  clock?: () => number;
}

/** The window slides in tenths: counts drop out 90 to 100% of a window after they happened. */
const BUCKETS_PER_WINDOW = 10;

interface Bucket {
  readonly start: number;
  requests: number;
  retries: number;
}

/**
 * Caps retries to a share of recent traffic (Finagle's and Envoy's retry budget), so that when an
 * upstream struggles, retries do not multiply its load: per-request attempt limits alone let every
 * request retry at once.
 */
export class RetryBudget {
  private readonly bucketMs: number;
  private readonly clock: () => number;
  private buckets: Bucket[] = [];

  constructor(private readonly options: RetryBudgetOptions) {
    this.bucketMs = options.windowMs / BUCKETS_PER_WINDOW;
    this.clock = options.clock ?? Date.now;
  }

  /** Counts a first attempt. */
  recordRequest(): void {
    this.currentBucket().requests++;
  }

  /** Whether a retry fits the budget now; if it does, it is counted. */
  tryRetry(): boolean {
    const bucket = this.currentBucket();
    let requests = 0;
    let retries = 0;
    for (const counted of this.buckets) {
      requests += counted.requests;
      retries += counted.retries;
    }
    const { ratio, minPerSecond, windowMs } = this.options;
    const allowed = (minPerSecond * windowMs) / 1000 + ratio * requests;
    if (retries >= allowed) return false;
    bucket.retries++;
    return true;
  }

  private currentBucket(): Bucket {
    const start = Math.floor(this.clock() / this.bucketMs) * this.bucketMs;
    const last = this.buckets.at(-1);
    if (last?.start === start) return last;
    const bucket: Bucket = { start, requests: 0, retries: 0 };
    this.buckets = [...this.buckets.filter((old) => old.start > start - this.options.windowMs), bucket];
    return bucket;
  }
}
