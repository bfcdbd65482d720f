import { describe, expect, it } from 'vitest';
import { channelPattern, ChannelRules } from './channel-rule.js';

describe('ChannelRules', () => {
  const rules = new ChannelRules([
    { pattern: 'lobby', authorize: () => true },
    { pattern: 'table:<id>', authorize: () => true },
    { pattern: 'user:<sub>', authorize: (principal, { sub }) => principal.sub === sub },
  ]);

  it('matches literal channels and captures placeholders', () => {
    expect(rules.match('lobby')?.params).toEqual({});
    expect(rules.match('table:t1')?.params).toEqual({ id: 't1' });
    expect(rules.match('user:p1')?.rule.pattern).toBe('user:<sub>');
  });

  it('refuses unknown channels, empty or odd placeholders and anything around the pattern', () => {
    for (const channel of ['casino', 'table:', 'table:a/b', 'xlobby', 'lobby ', 'table:t1:extra']) expect(rules.match(channel)).toBeUndefined();
  });

  it('lets a private rule decide by the principal', async () => {
    const match = rules.match('user:p1')!;
    expect(await match.rule.authorize({ sub: 'p1', roles: [], claims: {} }, match.params)).toBe(true);
    expect(await match.rule.authorize({ sub: 'p2', roles: [], claims: {} }, match.params)).toBe(false);
  });

  it('treats pattern punctuation literally', () => {
    const match = channelPattern('a.b:<x>');
    expect(match('a.b:1')).toEqual({ x: '1' });
    expect(match('axb:1')).toBeUndefined();
  });
});
