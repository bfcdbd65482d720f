import type { Target } from './target.js';

export interface HealthCheckOptions {
  /** Time between the end of one probe and the start of the next, per target. */
  intervalMs: number;
  /** A probe that has not answered by then counts as failed; its signal aborts. */
  timeoutMs: number;
  /** Consecutive successful probes that make a target healthy. */
  healthyThreshold: number;
  /** Consecutive failed probes that make a target unhealthy. */
  unhealthyThreshold: number;
}

/** Asks one target whether it can serve: true if it can. Should give up when `signal` aborts. */
export type HealthProbe = (target: Target, signal: AbortSignal) => Promise<boolean>;

export type ActiveHealthCheckOptions = HealthCheckOptions & { probe: HealthProbe };

/**
 * Probes one target on a timer and turns runs of consecutive results into verdicts. One-shot:
 * once stopped it stays stopped, so a late probe cannot speak for a target that left the pool.
 */
export class HealthCheck {
  private phase: 'idle' | 'running' | 'stopped' = 'idle';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private probing: AbortController | undefined;
  /** A probe that ignored its signal and is still running: the next one waits, probes never overlap. */
  private unsettled = false;
  private successes = 0;
  private failures = 0;

  /**
   * @param subject the target to probe, read at each probe because the pool may swap the object
   *   (new weight or metadata, same address)
   * @param judged told each time a threshold is reached; it may repeat a verdict
   */
  constructor(
    private readonly options: ActiveHealthCheckOptions,
    private readonly subject: () => Target,
    private readonly judged: (health: 'healthy' | 'unhealthy') => void,
  ) {}

  /** Probes right away, so a dead target is found before the first interval has passed. */
  start(): void {
    if (this.phase !== 'idle') return;
    this.phase = 'running';
    void this.check();
  }

  stop(): void {
    this.phase = 'stopped';
    clearTimeout(this.timer);
    this.probing?.abort(new Error('health check stopped'));
  }

  private async check(): Promise<void> {
    if (this.unsettled) {
      this.record(false);
      this.schedule();
      return;
    }
    const controller = new AbortController();
    this.probing = controller;
    const { timeoutMs } = this.options;
    // The abort waits one more turn of the event loop: when the loop was blocked (a connect storm, a
    // long GC), an answer that arrived meanwhile is read in that turn's poll phase first, so a busy
    // gateway does not mark a healthy backend down for its own lateness.
    const timer = setTimeout(
      () => setTimeout(() => controller.abort(new Error(`health probe timed out after ${timeoutMs} ms`)), 0),
      timeoutMs,
    );
    timer.unref();
    const healthy = await Promise.race([this.probe(controller.signal), whenAborted(controller.signal)]);
    clearTimeout(timer);
    this.probing = undefined;
    if (this.phase !== 'running') return;
    this.record(healthy);
    this.schedule();
  }

  /** True only for a probe that answered true; a throw is a failure like any other. */
  private async probe(signal: AbortSignal): Promise<boolean> {
    this.unsettled = true;
    try {
      return await this.options.probe(this.subject(), signal);
    } catch {
      return false;
    } finally {
      this.unsettled = false;
    }
  }

  private record(healthy: boolean): void {
    if (healthy) {
      this.failures = 0;
      if (++this.successes >= this.options.healthyThreshold) this.judged('healthy');
    } else {
      this.successes = 0;
      if (++this.failures >= this.options.unhealthyThreshold) this.judged('unhealthy');
    }
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.check(), this.options.intervalMs);
    this.timer.unref();
  }
}

/** Resolves false when the signal aborts, so a probe that ignores its signal still gets a verdict on time. */
function whenAborted(signal: AbortSignal): Promise<false> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(false), { once: true }));
}
