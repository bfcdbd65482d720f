import { describe, expect, it } from 'vitest';
import { parseEntry, type ServiceInstance } from '../service-instance.js';
import { checkId, healthEntries, isUnknownCheck, serviceRegistration } from './consul-entries.js';

/** The sample response of `GET /v1/health/service/:service` in Consul's API documentation, trimmed. */
const DOCUMENTED_ENTRY = {
  Node: {
    ID: '40e4a748-2192-161a-0510-9bf59fe950b5',
    Node: 'foobar',
    Address: '10.1.10.12',
    Datacenter: 'dc1',
    TaggedAddresses: { lan: '10.1.10.12', wan: '10.1.10.12' },
    Meta: { instance_type: 't2.medium' },
  },
  Service: {
    ID: 'redis',
    Service: 'redis',
    Tags: ['primary'],
    Address: '10.1.10.12',
    Meta: { redis_version: '4.0' },
    Port: 8000,
    Weights: { Passing: 10, Warning: 1 },
    Namespace: 'default',
  },
  Checks: [{ Node: 'foobar', CheckID: 'service:redis', Status: 'passing', ServiceID: 'redis', ServiceName: 'redis' }],
};

function entryWith(service: Record<string, unknown>, node: Record<string, unknown> = {}) {
  return { ...DOCUMENTED_ENTRY, Node: { ...DOCUMENTED_ENTRY.Node, ...node }, Service: { ...DOCUMENTED_ENTRY.Service, ...service } };
}

function parsed(entry: unknown) {
  const [registryEntry] = healthEntries([entry]);
  return parseEntry('redis', registryEntry!);
}

describe('healthEntries', () => {
  it('maps the documented answer to an instance with its weight and metadata', () => {
    expect(healthEntries([DOCUMENTED_ENTRY])).toEqual([
      { id: 'foobar/redis', value: { address: '10.1.10.12:8000', weight: 10, metadata: { redis_version: '4.0' } } },
    ]);
    expect(parsed(DOCUMENTED_ENTRY)).toEqual({
      ok: true,
      instance: { id: 'foobar/redis', service: 'redis', address: '10.1.10.12:8000', weight: 10, metadata: { redis_version: '4.0' } },
    });
  });

  it('keeps the same service ID on two nodes as two instances', () => {
    const ids = healthEntries([DOCUMENTED_ENTRY, entryWith({}, { Node: 'other' })]).map((entry) => entry.id);
    expect(ids).toEqual(['foobar/redis', 'other/redis']);
  });

  it("uses the node's address when the service has none, and brackets IPv6 hosts", () => {
    expect(healthEntries([entryWith({ Address: '' }, { Address: '10.9.9.9' })])[0]!.value).toMatchObject({ address: '10.9.9.9:8000' });
    expect(healthEntries([entryWith({ Address: 'fd00::7' })])[0]!.value).toMatchObject({ address: '[fd00::7]:8000' });
  });

  it('leaves weight and metadata to their defaults when Consul has none (older agents, null Meta)', () => {
    expect(parsed(entryWith({ Weights: undefined, Meta: null }))).toMatchObject({ ok: true, instance: { weight: 1, metadata: {} } });
  });

  it('passes malformed entries on for validation to reject, never throwing', () => {
    expect(parsed(entryWith({ Port: undefined }))).toMatchObject({ ok: false, problem: expect.stringContaining('expected host:port') as string });
    expect(parsed(entryWith({ Port: 0 }))).toEqual({ ok: false, problem: 'address: port out of range' });
    expect(parsed(entryWith({ Meta: { shards: 4 } }))).toMatchObject({ ok: false, problem: expect.stringContaining('metadata.shards') as string });
    expect(parsed(entryWith({ Weights: { Passing: 0 } }))).toMatchObject({ ok: false, problem: expect.stringContaining('weight') as string });
    expect(parsed('not an entry')).toMatchObject({ ok: false, problem: 'id must be 1 to 256 characters' });
    expect(parsed({ Service: { ID: 'x', Port: 80 } })).toMatchObject({ ok: false, problem: expect.stringContaining('address') as string });
  });
});

describe('serviceRegistration', () => {
  const instance: ServiceInstance = {
    id: 'players-1',
    service: 'players',
    address: '10.0.0.7:50051',
    weight: 2.6,
    metadata: { version: '3', zone: 'eu-1a' },
  };

  it('registers the instance with a TTL check that expires with the heartbeat TTL', () => {
    expect(serviceRegistration(instance, 10_000)).toEqual({
      ID: 'players-1',
      Name: 'players',
      Address: '10.0.0.7',
      Port: 50051,
      Meta: { version: '3', zone: 'eu-1a' },
      Weights: { Passing: 3, Warning: 1 },
      Check: { CheckID: 'service:players-1', Name: 'Portico heartbeat', TTL: '10000ms', DeregisterCriticalServiceAfter: '60000ms' },
    });
  });

  it('splits bracketed IPv6 addresses and keeps a fractional weight at least 1', () => {
    expect(serviceRegistration({ ...instance, address: '[fd00::7]:9000', weight: 0.2 }, 2_000)).toMatchObject({
      Address: 'fd00::7',
      Port: 9000,
      Weights: { Passing: 1 },
    });
  });

  it('refuses an address without a port', () => {
    expect(() => serviceRegistration({ ...instance, address: 'players.internal' }, 2_000)).toThrow(/not host:port/);
  });

  it('names the check the way the heartbeat passes it', () => {
    expect(serviceRegistration(instance, 2_000).Check.CheckID).toBe(checkId('players-1'));
  });
});

describe('isUnknownCheck', () => {
  it("recognises current and older agents' answers for a check they do not have", () => {
    expect(isUnknownCheck(404, 'Unknown check ID "service:players-1". Ensure that the check ID is passed, not the check name.')).toBe(true);
    expect(isUnknownCheck(500, 'CheckID "service:players-1" does not have associated TTL')).toBe(true);
  });

  it('treats other failures as failures', () => {
    expect(isUnknownCheck(500, 'rpc error: No cluster leader')).toBe(false);
    expect(isUnknownCheck(403, 'Permission denied')).toBe(false);
  });
});
