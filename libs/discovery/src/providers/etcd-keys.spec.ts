import { describe, expect, it } from 'vitest';
import { etcdEndpoints, instanceKey, leaseSeconds, registryEntry, serviceKeyPrefix } from './etcd-keys.js';

describe('etcd keys', () => {
  it('keeps each instance in one key under its service prefix', () => {
    expect(serviceKeyPrefix('portico', 'player-service')).toBe('/portico/discovery/player-service/');
    expect(instanceKey('portico', 'player-service', 'host-1')).toBe('/portico/discovery/player-service/host-1');
  });

  it('reads the instance id from the key and the JSON value, passing text that is not JSON on as text', () => {
    const prefix = '/p/discovery/svc/';
    expect(registryEntry(prefix, '/p/discovery/svc/a', '{"address":"10.0.0.1:1"}')).toEqual({ id: 'a', value: { address: '10.0.0.1:1' } });
    expect(registryEntry(prefix, '/p/discovery/svc/b', '10.0.0.1:1')).toEqual({ id: 'b', value: '10.0.0.1:1' });
    expect(registryEntry(prefix, '/p/discovery/svc/c', '')).toEqual({ id: 'c', value: '' });
  });

  it('leaves out keys nested deeper, which belong to another service, and keys outside the prefix', () => {
    expect(registryEntry('/p/discovery/svc/', '/p/discovery/svc/v2/a', '{}')).toBeUndefined();
    expect(registryEntry('/p/discovery/svc/', '/p/discovery/other/a', '{}')).toBeUndefined();
  });

  it('rounds a TTL up to whole seconds, at least one', () => {
    expect(leaseSeconds(10_000)).toBe(10);
    expect(leaseSeconds(2_001)).toBe(3);
    expect(leaseSeconds(1)).toBe(1);
    expect(leaseSeconds(0)).toBe(1);
  });

  it('dials scheme and host only, and turns credentials in a URL into password authentication', () => {
    expect(etcdEndpoints(['http://10.0.0.1:2379/', 'https://etcd.internal:2379/v3'])).toEqual({
      hosts: ['http://10.0.0.1:2379', 'https://etcd.internal:2379'],
    });
    expect(etcdEndpoints(['http://10.0.0.1:2379', 'http://gateway:p%40ss@10.0.0.2:2379'])).toEqual({
      hosts: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'],
      auth: { username: 'gateway', password: 'p@ss' },
    });
  });
});
