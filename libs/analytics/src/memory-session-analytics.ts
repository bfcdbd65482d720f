import { bucketOf } from './duration-sketch.js';
import { SessionEventLog } from './session-event-log.js';
import type { SocketSession } from '@portico/realtime';
import { sessionEnded, sessionStarted, utcDay, type SessionEvent } from './session-event.js';
import { daysBetween, statsOf, type SessionStats, type SessionTally } from './session-stats.js';

interface MutableTally extends SessionTally {
  buckets: Map<number, number>;
}

/**
 * Without Redis (the `npm start` demo): the gateway aggregates its own sessions in process, with the
 * same events and arithmetic as the worker, so the endpoint still answers. Nothing survives a
 * restart and each instance sees only its own sessions; there is no worker and no sweeper.
 */
export class MemorySessionAnalytics extends SessionEventLog {
  private readonly tallies = new Map<string, MutableTally>();

  started(session: SocketSession): void {
    this.count(sessionStarted(session));
  }

  ended(session: SocketSession, reason: string, durationMs: number): void {
    this.count(sessionEnded(session, reason, durationMs));
  }

  read(from: string, to: string): Promise<SessionStats[]> {
    const stats: SessionStats[] = [];
    for (const day of daysBetween(from, to)) {
      const prefix = `${day} `;
      const keys = [...this.tallies.keys()].filter((key) => key.startsWith(prefix)).sort();
      for (const key of keys) stats.push(statsOf(day, key.slice(prefix.length), this.tallies.get(key)!));
    }
    return Promise.resolve(stats);
  }

  private count(event: SessionEvent): void {
    const key = `${utcDay(event.timestamp)} ${event.clientType}`;
    let tally = this.tallies.get(key);
    if (!tally) {
      tally = { started: 0, ended: 0, sumMs: 0, buckets: new Map() };
      this.tallies.set(key, tally);
    }
    if (event.type === 'SESSION_STARTED') {
      tally.started++;
      return;
    }
    tally.ended++;
    tally.sumMs += event.durationMs;
    const bucket = bucketOf(event.durationMs);
    tally.buckets.set(bucket, (tally.buckets.get(bucket) ?? 0) + 1);
  }
}
