import { Logger } from '@nestjs/common';
import type { InstanceSweeper, SessionEventConsumer } from '@portico/analytics';

/** Runs the consumer loop and the periodic sweep; `stop()` lets the batch in hand finish and the sweep in flight end. */
export class AnalyticsWorker {
  private readonly logger = new Logger('analytics-worker');
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> = Promise.resolve();

  constructor(
    readonly consumer: SessionEventConsumer,
    private readonly sweeper: InstanceSweeper,
    private readonly sweepIntervalMs: number,
  ) {}

  async start(): Promise<void> {
    await this.consumer.createGroup();
    this.consumer.start();
    this.sweepTimer = setInterval(() => {
      this.sweeping = this.sweeper.sweep().catch((error: unknown) => this.logger.warn({ err: error }, 'sweep failed; retried next interval'));
    }, this.sweepIntervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    await Promise.all([this.consumer.stop(), this.sweeping]);
  }
}
