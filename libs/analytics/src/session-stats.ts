import { z } from 'zod';
import { quantile } from './duration-sketch.js';

/** One day and client type: sessions started, sessions ended and how long the ended ones lasted. */
export const SessionStatsSchema = z.object({
  day: z.iso.date().describe('UTC day'),
  clientType: z.string().describe('From the handshake (auth.clientType) or derived from the user agent'),
  sessions: z.number().int().describe('Sessions started that day'),
  ended: z.number().int().describe('Sessions ended that day (including instance_lost)'),
  averageDurationMs: z.number().int().nullable().describe('Mean duration of the sessions ended that day; null when none ended'),
  p95DurationMs: z.number().int().nullable().describe('95th percentile of those durations, within 1%; null when none ended'),
});

export type SessionStats = z.infer<typeof SessionStatsSchema>;

/** Counters of one day and client type, as the worker (Redis hash) or the in-process log keeps them. */
export interface SessionTally {
  started: number;
  ended: number;
  sumMs: number;
  buckets: ReadonlyMap<number, number>;
}

export function statsOf(day: string, clientType: string, tally: SessionTally): SessionStats {
  return {
    day,
    clientType,
    sessions: tally.started,
    ended: tally.ended,
    averageDurationMs: tally.ended > 0 ? Math.round(tally.sumMs / tally.ended) : null,
    p95DurationMs: quantile(tally.buckets, 0.95) ?? null,
  };
}

/** The hash fields the worker writes (`started`, `ended`, `sum`, `b:<bucket>`) read back as a tally. */
export function tallyOfHash(hash: Record<string, string>): SessionTally {
  const buckets = new Map<number, number>();
  for (const [field, value] of Object.entries(hash)) {
    if (field.startsWith('b:')) buckets.set(Number(field.slice(2)), Number(value));
  }
  return { started: Number(hash['started'] ?? 0), ended: Number(hash['ended'] ?? 0), sumMs: Number(hash['sum'] ?? 0), buckets };
}

/** Every UTC day from `from` to `to` inclusive (YYYY-MM-DD). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let time = Date.parse(`${from}T00:00:00Z`); time <= Date.parse(`${to}T00:00:00Z`); time += 86_400_000) {
    days.push(new Date(time).toISOString().slice(0, 10));
  }
  return days;
}

/** Reads the session aggregates of a range of days, sorted by day then client type. */
export abstract class SessionStatsReader {
  abstract read(from: string, to: string): Promise<SessionStats[]>;
}
