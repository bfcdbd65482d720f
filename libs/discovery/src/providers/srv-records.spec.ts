import { describe, expect, it } from 'vitest';
import { hostPort, srvEntries, srvQueryName, ZERO_WEIGHT, type ResolvedSrvRecord } from './srv-records.js';

function record(name: string, port: number, addresses: readonly string[], priority = 0, weight = 10): ResolvedSrvRecord {
  return { name, port, priority, weight, addresses };
}

describe('srvQueryName', () => {
  it('puts the service into the template', () => {
    expect(srvQueryName('_grpc._tcp.{service}.ns.svc.cluster.local', 'player-service')).toBe(
      '_grpc._tcp.player-service.ns.svc.cluster.local',
    );
  });
});

describe('hostPort', () => {
  it('brackets IPv6 hosts only', () => {
    expect(hostPort('10.0.0.7', 50051)).toBe('10.0.0.7:50051');
    expect(hostPort('fd00::7', 50051)).toBe('[fd00::7]:50051');
    expect(hostPort('a.example', 50051)).toBe('a.example:50051');
  });
});

describe('srvEntries', () => {
  it('gives one instance per record, named after its target, with the SRV weight', () => {
    const { entries, ignored } = srvEntries([record('a.example', 5001, ['10.0.0.1'], 0, 30), record('b.example', 5002, ['10.0.0.2'], 0, 10)]);
    expect(entries).toEqual([
      { id: 'a.example:5001', value: { address: '10.0.0.1:5001', weight: 30, metadata: { srvTarget: 'a.example', priority: '0' } } },
      { id: 'b.example:5002', value: { address: '10.0.0.2:5002', weight: 10, metadata: { srvTarget: 'b.example', priority: '0' } } },
    ]);
    expect(ignored).toEqual([]);
  });

  it('uses only the lowest priority present', () => {
    const { entries } = srvEntries([record('backup.example', 5001, ['10.0.0.9'], 20), record('a.example', 5001, ['10.0.0.1'], 10)]);
    expect(entries.map((entry) => entry.id)).toEqual(['a.example:5001']);
  });

  it('falls back to the next priority when no record of the lowest can be dialled', () => {
    const { entries, ignored } = srvEntries([record('gone.example', 5001, [], 0), record('backup.example', 5001, ['10.0.0.9'], 1)]);
    expect(entries.map((entry) => entry.id)).toEqual(['backup.example:5001']);
    expect(ignored).toEqual(['gone.example:5001: no A or AAAA record']);
  });

  it('shares a record weight between the addresses of its target, one instance per address', () => {
    const { entries } = srvEntries([record('pool.example', 5001, ['10.0.0.1', 'fd00::2'], 0, 10)]);
    expect(entries).toHaveLength(2);
    expect(entries).toMatchObject([
      { id: '10.0.0.1:5001', value: { address: '10.0.0.1:5001', weight: 5 } },
      { id: '[fd00::2]:5001', value: { address: '[fd00::2]:5001', weight: 5 } },
    ]);
  });

  it('gives weight 0 a small positive weight, so such records stay usable but rarely picked', () => {
    const { entries } = srvEntries([record('a.example', 5001, ['10.0.0.1'], 0, 0), record('b.example', 5001, ['10.0.0.2'], 0, 1)]);
    expect(entries.map((entry) => (entry.value as { weight: number }).weight)).toEqual([ZERO_WEIGHT, 1]);
    expect(ZERO_WEIGHT).toBeGreaterThan(0);
  });

  it('leaves out port 0 and targets without addresses, saying why, and keeps the others', () => {
    const { entries, ignored } = srvEntries([
      record('zero.example', 0, ['10.0.0.3']),
      record('a.example', 5001, ['10.0.0.1']),
      record('dangling.example', 5002, []),
    ]);
    expect(entries.map((entry) => entry.id)).toEqual(['a.example:5001']);
    expect(ignored).toEqual(['zero.example:0: port 0 cannot be dialled', 'dangling.example:5002: no A or AAAA record']);
  });

  it('reads a "." target as the service not being offered: no instance and nothing to report', () => {
    expect(srvEntries([record('', 1, [])])).toEqual({ entries: [], ignored: [] });
    expect(srvEntries([record('.', 1, [])])).toEqual({ entries: [], ignored: [] });
  });

  it('gives no instance for no records', () => {
    expect(srvEntries([])).toEqual({ entries: [], ignored: [] });
  });
});
