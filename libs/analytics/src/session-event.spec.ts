import { describe, expect, it } from 'vitest';
import { normalizeClientType, parseSessionEvent, sessionEnded, sessionStarted, utcDay } from './session-event.js';

const session = { sessionId: 's1', userId: 'p1', clientType: 'Web', instanceId: 'gw-1', startedAt: Date.parse('2026-03-01T23:59:00Z') };

describe('session events', () => {
  it('builds a start with a fresh event id and the session start as its timestamp', () => {
    const { eventId, ...first } = sessionStarted(session);
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first).toEqual({
      type: 'SESSION_STARTED',
      userId: 'p1',
      sessionId: 's1',
      clientType: 'web',
      instanceId: 'gw-1',
      timestamp: session.startedAt,
    });
    expect(sessionStarted(session).eventId).not.toBe(eventId);
  });

  it('builds an end with the duration and the reason, stamped when the session ended', () => {
    expect(sessionEnded(session, 'client namespace disconnect', 120_000.4)).toMatchObject({
      type: 'SESSION_ENDED',
      timestamp: Date.parse('2026-03-02T00:01:00Z'),
      durationMs: 120_000,
      reason: 'client namespace disconnect',
    });
  });

  it('round-trips through the JSON of a stream entry', () => {
    const event = sessionEnded(session, 'transport close', 5);
    expect(parseSessionEvent(JSON.stringify(event))).toEqual(event);
  });

  it('refuses entries that are not session events', () => {
    expect(parseSessionEvent('not json')).toBeUndefined();
    expect(parseSessionEvent(JSON.stringify({ ...sessionStarted(session), type: 'OTHER' }))).toBeUndefined();
    expect(parseSessionEvent(JSON.stringify({ ...sessionEnded(session, 'x', 1), durationMs: -1 }))).toBeUndefined();
  });

  it('keeps client types to a short lower-case name, anything else counted as unknown', () => {
    expect(normalizeClientType(' iOS ')).toBe('ios');
    expect(normalizeClientType('react-native.v2')).toBe('react-native.v2');
    expect(normalizeClientType('x'.repeat(40))).toBe('unknown');
    expect(normalizeClientType('web/../../etc')).toBe('unknown');
    expect(normalizeClientType('')).toBe('unknown');
  });

  it('files events under their UTC day', () => {
    expect(utcDay(session.startedAt)).toBe('2026-03-01');
  });
});
