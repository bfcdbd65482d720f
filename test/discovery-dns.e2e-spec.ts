import { createSocket, type Socket } from 'node:dgram';
import { createProvider, discoveryFields, discoverySettings, ServiceDiscovery, type ServiceInstance } from '@portico/discovery';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { host, rawRecord, srv, TestDnsmasq, ZONE } from './support/dnsmasq.js';
import { waitFor } from './support/wait-for.js';

const REFRESH_MS = 200;
/** Long enough for dnsmasq to restart and a few polls to run on a busy machine, yet far short of any cache. */
const PICKED_UP_WITHIN_MS = REFRESH_MS * 10;

const srvName = (service: string) => `_grpc._tcp.${service}.${ZONE}`;
const at = (name: string) => `${name}.${ZONE}`;

const PLAYER = [
  srv(srvName('player'), at('a'), 5001, 0, 30),
  srv(srvName('player'), at('b'), 5002, 0, 10),
  host(at('a'), '127.0.0.11'),
  host(at('b'), '127.0.0.12'),
];

const RECORDS = [
  ...PLAYER,
  srv(srvName('mixed'), at('pool'), 5101, 0, 10),
  srv(srvName('mixed'), at('six'), 5102, 0, 0),
  srv(srvName('mixed'), '127.0.0.23', 5103, 0, 5),
  host(at('pool'), '127.0.0.21'),
  host(at('pool'), '127.0.0.22'),
  host(at('six'), 'fd00::6'),
  srv(srvName('tiers'), at('primary'), 6001, 0, 1),
  srv(srvName('tiers'), at('backup'), 6002, 1, 1),
  host(at('primary'), '127.0.0.31'),
  host(at('backup'), '127.0.0.32'),
  srv(srvName('broken'), at('a'), 0, 0, 1),
  srv(srvName('broken'), at('gone'), 7002, 0, 1),
  srv(srvName('broken'), at('b'), 7003, 0, 1),
  srv(srvName('closed')),
];

interface Seen {
  id: string;
  address: string;
  weight: number;
  metadata: Readonly<Record<string, string>>;
}

function seen(instances: readonly ServiceInstance[]): Seen[] {
  return instances.map(({ id, address, weight, metadata }) => ({ id, address, weight, metadata })).sort((x, y) => (x.id < y.id ? -1 : 1));
}

const addresses = (instances: readonly ServiceInstance[]) => instances.map((instance) => instance.address).sort();

describe('discovery over DNS SRV records (dnsmasq)', () => {
  let dnsmasq: TestDnsmasq;
  const opened: ServiceDiscovery[] = [];

  async function discovery(server = dnsmasq.server): Promise<ServiceDiscovery> {
    const env = z.object(discoveryFields).parse({
      DISCOVERY: 'dns',
      DNS_SERVER: server,
      DNS_SRV_NAME: `_grpc._tcp.{service}.${ZONE}`,
      DNS_REFRESH_MS: String(REFRESH_MS),
    });
    const created = new ServiceDiscovery(await createProvider(discoverySettings(env)));
    opened.push(created);
    return created;
  }

  function waitForAddresses(discovered: ServiceDiscovery, service: string, expected: string[]) {
    return waitFor(
      () => {
        const view = discovered.view(service);
        return view.state === 'live' && JSON.stringify(addresses(view.instances)) === JSON.stringify(expected) && view;
      },
      { timeoutMs: PICKED_UP_WITHIN_MS, description: `${service} at ${expected.join(', ')}` },
    );
  }

  beforeAll(async () => {
    dnsmasq = await TestDnsmasq.start(RECORDS);
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((discovered) => discovered.close()));
    await dnsmasq.serve(RECORDS);
  });

  afterAll(async () => {
    await dnsmasq?.dispose();
  });

  it('turns two SRV records into two instances weighted as the records say', async () => {
    const discovered = await discovery();
    expect(seen(await discovered.resolve('player'))).toEqual([
      { id: `${at('a')}:5001`, address: '127.0.0.11:5001', weight: 30, metadata: { srvTarget: at('a'), priority: '0' } },
      { id: `${at('b')}:5002`, address: '127.0.0.12:5002', weight: 10, metadata: { srvTarget: at('b'), priority: '0' } },
    ]);
    expect(discovered.view('player').state).toBe('live');
  });

  it('gives each address of a target its own instance, uses AAAA when there is no A record, and takes IP literals as they are', async () => {
    const discovered = await discovery();
    expect(seen(await discovered.resolve('mixed'))).toEqual([
      expect.objectContaining({ id: '127.0.0.21:5101', address: '127.0.0.21:5101', weight: 5 }),
      expect.objectContaining({ id: '127.0.0.22:5101', address: '127.0.0.22:5101', weight: 5 }),
      expect.objectContaining({ id: '127.0.0.23:5103', address: '127.0.0.23:5103', weight: 5 }),
      // Weight 0 stays dialable, with a very small share beside the weighted records.
      expect.objectContaining({ id: `${at('six')}:5102`, address: '[fd00::6]:5102', weight: 0.01 }),
    ]);
  });

  it('uses only the lowest priority, and falls back to the next when its records go away', async () => {
    const discovered = await discovery();
    expect(addresses(await discovered.resolve('tiers'))).toEqual(['127.0.0.31:6001']);
    await dnsmasq.serve(RECORDS.filter((line) => !line.includes(at('primary'))));
    await waitForAddresses(discovered, 'tiers', ['127.0.0.32:6002']);
  });

  it('picks up a changed record within a few refresh intervals', async () => {
    const discovered = await discovery();
    expect(addresses(await discovered.resolve('player'))).toEqual(['127.0.0.11:5001', '127.0.0.12:5002']);
    const changed = [...RECORDS.filter((line) => !line.includes(`${at('b')},5002`)), srv(srvName('player'), at('b'), 5012, 0, 10)];
    await dnsmasq.serve(changed);
    const view = await waitForAddresses(discovered, 'player', ['127.0.0.11:5001', '127.0.0.12:5012']);
    expect(view.instances.find((instance) => instance.address.endsWith(':5012'))?.weight).toBe(10);
  });

  it('answers an empty list, not an outage, for a name that does not exist or a service the zone says is not offered', async () => {
    const discovered = await discovery();
    expect(await discovered.resolve('ghost')).toEqual([]);
    expect(discovered.view('ghost').state).toBe('live');
    expect(await discovered.resolve('closed')).toEqual([]);
    expect(discovered.view('closed').state).toBe('live');
  });

  it('drops instances once their records are gone: NXDOMAIN replaces the list with an empty one', async () => {
    const discovered = await discovery();
    expect(await discovered.resolve('tiers')).toHaveLength(1);
    await dnsmasq.serve(RECORDS.filter((line) => !line.includes(srvName('tiers'))));
    await waitForAddresses(discovered, 'tiers', []);
  });

  it('keeps the last list while dnsmasq is down, then sends a fresh one once it is back', async () => {
    const discovered = await discovery();
    expect(await discovered.resolve('player')).toHaveLength(2);
    await dnsmasq.stop();
    const down = await waitFor(() => discovered.view('player').state === 'unreachable' && discovered.view('player'), {
      timeoutMs: PICKED_UP_WITHIN_MS,
      description: 'player unreachable',
    });
    expect(down.error).toMatch(/ECONNREFUSED|ETIMEOUT/);
    expect(addresses(down.instances)).toEqual(['127.0.0.11:5001', '127.0.0.12:5002']);
    await dnsmasq.serve(RECORDS.filter((line) => !line.includes(`${at('a')},5001`)));
    // Failed polls back off (doubling from the refresh interval), so recovery may take a little longer.
    await waitFor(() => addresses(discovered.view('player').instances).join() === '127.0.0.12:5002' && discovered.view('player').state === 'live', {
      timeoutMs: PICKED_UP_WITHIN_MS * 2,
      description: 'player live again with the new list',
    });
  });

  it('ignores records on port 0 or with a target that does not resolve, keeping the valid ones', async () => {
    const discovered = await discovery();
    expect(seen(await discovered.resolve('broken'))).toEqual([expect.objectContaining({ id: `${at('b')}:7003`, address: '127.0.0.12:7003' })]);
    expect(discovered.view('broken').state).toBe('live');
  });

  it('counts an answer that cannot be parsed as unreachable, keeping the last list', async () => {
    const discovered = await discovery();
    expect(await discovered.resolve('player')).toHaveLength(2);
    // An SRV record of three bytes, where priority, weight and port alone take six.
    await dnsmasq.serve([...RECORDS, rawRecord(srvName('player'), 33, '00:00:00')]);
    const broken = await waitFor(() => discovered.view('player').state === 'unreachable' && discovered.view('player'), {
      timeoutMs: PICKED_UP_WITHIN_MS,
      description: 'player unreachable on a malformed answer',
    });
    expect(broken.error).toMatch(/EBADRESP/);
    expect(broken.instances).toHaveLength(2);
  });

  it('reaches a server given as [IPv6]:port', async () => {
    const six = await TestDnsmasq.start(PLAYER, '::1');
    try {
      expect(six.server).toBe(`[::1]:${six.port}`);
      const discovered = await discovery(six.server);
      expect(addresses(await discovered.resolve('player'))).toEqual(['127.0.0.11:5001', '127.0.0.12:5002']);
    } finally {
      await six.dispose();
    }
  });

  describe('against a server that never answers', () => {
    let silent: Socket;

    beforeAll(async () => {
      silent = createSocket('udp4');
      await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    });

    afterAll(() => new Promise<void>((resolve) => silent.close(() => resolve())));

    it('gives up on each poll within the query timeout and reports the registry unreachable', async () => {
      const discovered = await discovery(`127.0.0.1:${silent.address().port}`);
      const startedAt = Date.now();
      expect(await discovered.resolve('player')).toEqual([]);
      const view = await waitFor(() => discovered.view('player').state === 'unreachable' && discovered.view('player'), {
        timeoutMs: 10_000,
        description: 'player unreachable on a silent server',
      });
      expect(view.error).toMatch(/ETIMEOUT/);
      // The default query timeout: 1 s for the first try and at most 2 s for the retry.
      expect(Date.now() - startedAt).toBeLessThan(6_000);
    });
  });

  it('refuses a DNS_SERVER that is not an IP address when the provider is created', async () => {
    const env = z.object(discoveryFields).parse({ DISCOVERY: 'dns', DNS_SERVER: '999.0.0.1:53' });
    await expect(createProvider(discoverySettings(env))).rejects.toThrow(/DNS_SERVER=999\.0\.0\.1:53/);
  });
});
