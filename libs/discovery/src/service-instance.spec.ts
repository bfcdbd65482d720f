import { describe, expect, it } from 'vitest';
import { parseEntry, sameInstances, type ServiceInstance } from './service-instance.js';

const instance = (id: string, address: string, extra: Partial<ServiceInstance> = {}): ServiceInstance => ({
  id,
  service: 'svc',
  address,
  weight: 1,
  metadata: {},
  ...extra,
});

describe('parseEntry', () => {
  it('fills in weight and metadata', () => {
    expect(parseEntry('svc', { id: 'a', value: { address: '10.0.0.1:50051' } })).toEqual({
      ok: true,
      instance: instance('a', '10.0.0.1:50051'),
    });
  });

  it('accepts bracketed IPv6 and host names', () => {
    expect(parseEntry('svc', { id: 'a', value: { address: '[::1]:1' } }).ok).toBe(true);
    expect(parseEntry('svc', { id: 'a', value: { address: 'player-0.player:50051', weight: 2.5 } }).ok).toBe(true);
  });

  it.each([
    ['a raw string', 'not json', 'value'],
    ['no port', { address: 'host' }, 'address'],
    ['port 0', { address: 'host:0' }, 'address'],
    ['port too big', { address: 'host:70000' }, 'address'],
    ['a scheme', { address: 'http://host:1' }, 'address'],
    ['a zero weight', { address: 'host:1', weight: 0 }, 'weight'],
    ['non-text metadata', { address: 'host:1', metadata: { zone: 1 } }, 'metadata.zone'],
  ])('rejects %s, naming the field', (_name, value, field) => {
    const parsed = parseEntry('svc', { id: 'x', value });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain(`${field}:`);
  });

  it('rejects an empty id', () => {
    expect(parseEntry('svc', { id: '', value: { address: 'host:1' } }).ok).toBe(false);
  });
});

describe('sameInstances', () => {
  it('ignores order and metadata key order', () => {
    const a = [instance('1', 'h:1', { metadata: { zone: 'a', version: '2' } }), instance('2', 'h:2')];
    const b = [instance('2', 'h:2'), instance('1', 'h:1', { metadata: { version: '2', zone: 'a' } })];
    expect(sameInstances(a, b)).toBe(true);
  });

  it('sees a changed address, weight, metadata or membership', () => {
    const base = [instance('1', 'h:1')];
    expect(sameInstances(base, [instance('1', 'h:9')])).toBe(false);
    expect(sameInstances(base, [instance('1', 'h:1', { weight: 2 })])).toBe(false);
    expect(sameInstances(base, [instance('1', 'h:1', { metadata: { zone: 'b' } })])).toBe(false);
    expect(sameInstances(base, [instance('2', 'h:1')])).toBe(false);
    expect(sameInstances(base, [])).toBe(false);
  });
});
