import { describe, expect, it } from 'vitest';
import { bucketOf } from './duration-sketch.js';
import { SessionStatsQuerySchema } from './session-stats.controller.js';
import { daysBetween, statsOf, tallyOfHash } from './session-stats.js';

describe('session stats', () => {
  it('lists every day of a range, across a month end', () => {
    expect(daysBetween('2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
  });

  it('reads the hash the worker writes', () => {
    const tally = tallyOfHash({ started: '3', ended: '2', sum: '3000', [`b:${bucketOf(1_000)}`]: '1', [`b:${bucketOf(2_000)}`]: '1' });
    const { p95DurationMs, ...counts } = statsOf('2026-01-01', 'web', tally);
    expect(counts).toEqual({ day: '2026-01-01', clientType: 'web', sessions: 3, ended: 2, averageDurationMs: 1_500 });
    expect(Math.abs(p95DurationMs! - 2_000)).toBeLessThanOrEqual(20);
  });
});

describe('the sessions query', () => {
  const parse = (query: Record<string, string>) => SessionStatsQuerySchema.safeParse(query);

  it('defaults to the seven days up to today', () => {
    const result = parse({});
    expect(result.success).toBe(true);
    expect(daysBetween(result.data!.from, result.data!.to)).toHaveLength(7);
    expect(result.data!.to).toBe(new Date().toISOString().slice(0, 10));
  });

  it('names the field that is not a day', () => {
    const result = parse({ from: '2026-13-01' });
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['from']);
  });

  it('refuses a range that ends before it starts, or spans more than a year', () => {
    expect(parse({ from: '2026-05-02', to: '2026-05-01' }).error?.issues[0]).toMatchObject({ path: ['from'], message: 'must not be after to' });
    expect(parse({ from: '2024-01-01', to: '2026-01-01' }).error?.issues[0]?.path).toEqual(['from']);
  });
});
