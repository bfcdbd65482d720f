import { describe, expect, it } from 'vitest';
import { parsePreference } from './instance-preference.js';

describe('parsePreference', () => {
  it('reads one or more label=value pairs', () => {
    expect(parsePreference('version=2')).toEqual({ version: '2' });
    expect(parsePreference('Version=2, zone=eu-1')).toEqual({ version: '2', zone: 'eu-1' });
  });

  it.each([[undefined], [['version=2']], [''], ['version'], ['version=2;drop'], ['a=1,b=2,c=3,d=4,e=5'], ['=2']])(
    'ignores %o',
    (header) => {
      expect(parsePreference(header)).toBeUndefined();
    },
  );
});
