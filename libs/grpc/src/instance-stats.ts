/** Calls and failures over roughly the last minute, in two half-minute buckets. */
export class InstanceStats {
  private bucketStart = 0;
  private current = { calls: 0, failures: 0 };
  private previous = { calls: 0, failures: 0 };

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly bucketMs = 30_000,
  ) {}

  record(failed: boolean): void {
    this.rotate();
    this.current.calls++;
    if (failed) this.current.failures++;
  }

  /** Failed share of recent calls, 0 with no calls. */
  errorRate(): number {
    this.rotate();
    const calls = this.current.calls + this.previous.calls;
    return calls === 0 ? 0 : (this.current.failures + this.previous.failures) / calls;
  }

  private rotate(): void {
    const start = Math.floor(this.clock() / this.bucketMs) * this.bucketMs;
    if (start === this.bucketStart) return;
    this.previous = start - this.bucketStart === this.bucketMs ? this.current : { calls: 0, failures: 0 };
    this.current = { calls: 0, failures: 0 };
    this.bucketStart = start;
  }
}
