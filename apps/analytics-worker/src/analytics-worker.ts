import { Logger } from '@nestjs/common';
import type { InstanceSweeper, SessionEventConsumer } from '@portico/analytics';

/** Runs the consumer loop and the periodic sweep; `stop()` lets the batch in hand finish and the sweep in flight end. */
export class AnalyticsWorker {
  private readonly logger = new Logger('analytics-worker');
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> = Promise.resolve();
  private sweepFailing = false;

  constructor(
    readonly consumer: SessionEventConsumer,
    private readonly sweeper: InstanceSweeper,
    private readonly sweepIntervalMs: number,
  ) {}

  /** Connecting and creating the consumer group happen in the loop, so a Redis that is not up yet is waited for. */
  start(): void {
    this.consumer.start();
    this.sweepTimer = setInterval(() => {
      this.sweeping = this.sweeper.sweep().then(
        () => (this.sweepFailing = false),
        (error: unknown) => {
          if (!this.sweepFailing) this.logger.warn({ err: error }, 'sweep failed; retried every interval');
          this.sweepFailing = true;
        },
      );
    }, this.sweepIntervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    await Promise.all([this.consumer.stop(), this.sweeping]);
  }
}
