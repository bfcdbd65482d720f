import { Counter, Gauge, type Registry } from 'prom-client';

/** The emitting side: events appended, waiting in memory while Redis is unreachable, and dropped. */
export class SessionEventLogMetrics {
  private readonly appended: Counter<'type'>;
  private readonly dropped: Counter;
  private readonly buffered: Gauge;

  constructor(registry: Registry) {
    this.appended = new Counter({
      name: 'analytics_events_appended_total',
      help: 'Session events appended to the analytics stream, by type.',
      labelNames: ['type'] as const,
      registers: [registry],
    });
    this.dropped = new Counter({
      name: 'analytics_events_dropped_total',
      help: 'Session events dropped because the in-memory buffer was full while Redis was unreachable.',
      registers: [registry],
    });
    this.buffered = new Gauge({
      name: 'analytics_events_buffered',
      help: 'Session events waiting in memory for Redis.',
      registers: [registry],
    });
  }

  appendedEvent(type: string): void {
    this.appended.inc({ type });
  }

  droppedEvent(): void {
    this.dropped.inc();
  }

  setBuffered(count: number): void {
    this.buffered.set(count);
  }
}

/** The worker: entries processed, duplicates skipped, claimed from dead consumers, and sessions swept. */
export class StreamConsumerMetrics {
  private readonly entries: Counter<'outcome'>;
  private readonly claimed: Counter;
  private readonly trimmed: Counter;
  private readonly swept: Counter;

  constructor(registry: Registry) {
    this.entries = new Counter({
      name: 'analytics_worker_entries_total',
      help: 'Stream entries handled, by outcome: processed, duplicate (event id already counted) or invalid (skipped).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
    this.claimed = new Counter({
      name: 'analytics_worker_claimed_total',
      help: 'Entries claimed (XAUTOCLAIM) from consumers that left them pending longer than the claim idle time.',
      registers: [registry],
    });
    this.trimmed = new Counter({
      name: 'analytics_worker_trimmed_pending_total',
      help: 'Pending entries the stream trimmed (MAXLEN) before they were processed: lost events.',
      registers: [registry],
    });
    this.swept = new Counter({
      name: 'analytics_sessions_swept_total',
      help: 'Sessions ended with reason instance_lost because their instance stopped heartbeating.',
      registers: [registry],
    });
  }

  handled(outcome: 'processed' | 'duplicate' | 'invalid'): void {
    this.entries.inc({ outcome });
  }

  claimedEntries(count: number): void {
    this.claimed.inc(count);
  }

  trimmedEntries(count: number): void {
    this.trimmed.inc(count);
  }

  sweptSessions(count: number): void {
    this.swept.inc(count);
  }
}
