import { describe, expect, it } from 'vitest';
import { MemorySessionAnalytics } from './memory-session-analytics.js';

const day = '2026-05-04';
const at = (time: string) => Date.parse(`${day}T${time}Z`);

describe('MemorySessionAnalytics', () => {
  it('aggregates starts and ends per day and client type', async () => {
    const analytics = new MemorySessionAnalytics();
    const web = { sessionId: 'a', userId: 'p1', clientType: 'web', instanceId: 'gw', startedAt: at('10:00:00') };
    const ios = { ...web, sessionId: 'b', clientType: 'ios' };
    analytics.started(web);
    analytics.started(ios);
    analytics.started({ ...web, sessionId: 'c' });
    analytics.ended(web, 'transport close', 1_000);
    analytics.ended({ ...web, sessionId: 'c' }, 'transport close', 3_000);

    const stats = await analytics.read(day, day);
    const web_ = stats.find((item) => item.clientType === 'web');
    expect(web_).toMatchObject({ clientType: 'web', sessions: 2, ended: 2, averageDurationMs: 2_000 });
    expect(Math.abs(web_!.p95DurationMs! - 3_000)).toBeLessThanOrEqual(30);
    expect(stats.find((item) => item.clientType === 'ios')).toMatchObject({ sessions: 1, ended: 0, averageDurationMs: null, p95DurationMs: null });
  });

  it('answers only the days asked for', async () => {
    const analytics = new MemorySessionAnalytics();
    analytics.started({ sessionId: 'a', userId: 'p1', clientType: 'web', instanceId: 'gw', startedAt: at('10:00:00') });
    expect(await analytics.read('2026-05-05', '2026-05-06')).toEqual([]);
    expect(await analytics.read(day, day)).toHaveLength(1);
  });
});
