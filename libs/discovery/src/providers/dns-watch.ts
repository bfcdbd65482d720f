import { Logger } from '@nestjs/common';
import type { ProviderWatch, WatchSink } from '../discovery-provider.js';
import { srvEntries, type ResolvedSrvRecord } from './srv-records.js';

/** Reads a service's SRV answer; resolves `[]` when the name has no records, rejects when DNS cannot answer. */
export type SrvLookup = () => Promise<readonly ResolvedSrvRecord[]>;

/** Longest wait between two lookups while DNS keeps failing, unless the refresh interval is longer still. */
export const MAX_RETRY_MS = 10_000;

/** After `failures` failed lookups in a row: the refresh interval, doubled per further failure, capped. */
export function retryDelay(failures: number, refreshMs: number): number {
  return Math.min(refreshMs * 2 ** Math.max(0, failures - 1), Math.max(refreshMs, MAX_RETRY_MS));
}

/**
 * Polls one service's SRV records, since DNS cannot push: a lookup every `refreshMs`, the next one
 * scheduled only when the last has settled so lookups never overlap, and backing off while DNS fails.
 */
export class DnsWatch implements ProviderWatch {
  private readonly logger = new Logger('discovery');
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private failures = 0;
  /** The records the last answer left out, so each is logged when it appears rather than on every poll. */
  private ignored = new Set<string>();

  constructor(
    private readonly name: string,
    private readonly lookup: SrvLookup,
    private readonly sink: WatchSink,
    private readonly refreshMs: number,
  ) {}

  start(): void {
    void this.poll();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private async poll(): Promise<void> {
    const outcome = await this.lookup().then(
      (records) => ({ records }),
      (error: unknown) => ({ error: error instanceof Error ? error : new Error(String(error)) }),
    );
    if (this.closed) return;
    if ('error' in outcome) {
      this.failures += 1;
      this.sink.unreachable(outcome.error);
    } else {
      this.failures = 0;
      const { entries, ignored } = srvEntries(outcome.records);
      this.report(ignored);
      this.sink.update(entries);
    }
    this.timer = setTimeout(() => void this.poll(), retryDelay(this.failures, this.refreshMs));
  }

  private report(ignored: readonly string[]): void {
    for (const record of ignored) {
      if (!this.ignored.has(record)) this.logger.warn({ srvName: this.name, record }, 'ignoring an SRV record that cannot be dialled');
    }
    this.ignored = new Set(ignored);
  }
}
