import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProvider, discoveryFields, discoverySettings, ServiceDiscovery, type ServiceInstance } from '@portico/discovery';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { endpoint, endpointSlice, FakeKubernetes } from './support/fake-kubernetes.js';
import { waitFor } from './support/wait-for.js';

const NAMESPACE = 'shop';
const NOT_READY = { ready: false, serving: false, terminating: false };

function addresses(instances: readonly ServiceInstance[]): string[] {
  return instances.map((instance) => instance.address).sort();
}

// No real cluster runs here: the API server is FakeKubernetes, which speaks the list/watch wire
// protocol as the Kubernetes API documentation describes it.
describe('kubernetes discovery (EndpointSlices, against a protocol-faithful fake API server)', () => {
  let fake: FakeKubernetes;
  let directory: string;
  const opened: ServiceDiscovery[] = [];

  beforeAll(async () => {
    fake = await FakeKubernetes.start();
    directory = await mkdtemp(join(tmpdir(), 'portico-kubernetes-'));
    vi.stubEnv('KUBECONFIG', await fake.writeKubeconfig(directory));
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((discovery) => discovery.close()));
    fake.tooOldWatch = 'event';
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await fake.stop();
    await rm(directory, { recursive: true, force: true });
  });

  /** Discovery built the way an app builds it: environment → settings → createProvider. */
  async function discover(env: Record<string, string> = {}): Promise<ServiceDiscovery> {
    const settings = discoverySettings(z.object(discoveryFields).parse({ DISCOVERY: 'kubernetes', KUBERNETES_NAMESPACE: NAMESPACE, ...env }));
    const discovery = new ServiceDiscovery(await createProvider(settings));
    opened.push(discovery);
    return discovery;
  }

  function settlesAt(discovery: ServiceDiscovery, service: string, expected: string[]): Promise<string[]> {
    return waitFor(
      () => {
        const current = addresses(discovery.view(service).instances);
        return JSON.stringify(current) === JSON.stringify(expected) && current;
      },
      { timeoutMs: 10_000, description: `${service} at [${expected.join(', ')}]` },
    );
  }

  const lists = () => fake.requests.filter((request) => request.verb === 'list').length;
  const lastWatch = () => fake.requests.filter((request) => request.verb === 'watch').at(-1);

  it('merges the ready endpoints of every slice of the Service, in the watched namespace only', async () => {
    fake.apply(NAMESPACE, endpointSlice('player', 'player-abc', { endpoints: [endpoint('10.0.1.1', { zone: 'eu-1a', nodeName: 'node-1' }), endpoint('10.0.1.2')] }));
    fake.apply(NAMESPACE, endpointSlice('player', 'player-def', { endpoints: [endpoint('10.0.1.3')] }));
    fake.apply(NAMESPACE, endpointSlice('table', 'table-abc', { endpoints: [endpoint('10.0.9.9')] }));
    fake.apply('elsewhere', endpointSlice('player', 'player-xyz', { endpoints: [endpoint('10.0.8.8')] }));
    const discovery = await discover();

    const instances = await discovery.resolve('player');

    expect(addresses(instances)).toEqual(['10.0.1.1:50051', '10.0.1.2:50051', '10.0.1.3:50051']);
    expect(instances.find((instance) => instance.address === '10.0.1.1:50051')?.metadata).toEqual({ zone: 'eu-1a', node: 'node-1' });
    expect(fake.requests.find((request) => request.verb === 'list')).toEqual({
      verb: 'list',
      path: `/apis/discovery.k8s.io/v1/namespaces/${NAMESPACE}/endpointslices`,
      labelSelector: 'kubernetes.io/service-name=player',
    });
    await waitFor(() => lastWatch()?.resourceVersion === fake.resourceVersion, { description: 'a watch from the list’s resourceVersion' });
  });

  it('drops an endpoint when a MODIFIED slice marks it not ready, from the watch stream alone', async () => {
    fake.apply(NAMESPACE, endpointSlice('ledger', 'ledger-abc', { endpoints: [endpoint('10.0.2.1'), endpoint('10.0.2.2')] }));
    const discovery = await discover();
    expect(addresses(await discovery.resolve('ledger'))).toEqual(['10.0.2.1:50051', '10.0.2.2:50051']);
    await waitFor(() => fake.openWatches === 1, { description: 'the ledger watch' });
    const listsBefore = lists();

    fake.apply(NAMESPACE, endpointSlice('ledger', 'ledger-abc', { endpoints: [endpoint('10.0.2.1'), endpoint('10.0.2.2', { conditions: NOT_READY })] }));

    await settlesAt(discovery, 'ledger', ['10.0.2.1:50051']);
    expect(lists()).toBe(listsBefore);
  });

  it('leaves terminating endpoints out, even those still serving or reported ready', async () => {
    fake.apply(NAMESPACE, endpointSlice('lobby', 'lobby-abc', {
      endpoints: [
        endpoint('10.0.3.1'),
        endpoint('10.0.3.2', { conditions: { ready: false, serving: true, terminating: true } }),
        // What a Service with publishNotReadyAddresses shows for a draining pod.
        endpoint('10.0.3.3', { conditions: { ready: true, serving: true, terminating: true } }),
        // Conditions left unset mean ready.
        { addresses: ['10.0.3.4'] },
      ],
    }));
    const discovery = await discover();

    expect(addresses(await discovery.resolve('lobby'))).toEqual(['10.0.3.1:50051', '10.0.3.4:50051']);

    fake.apply(NAMESPACE, endpointSlice('lobby', 'lobby-abc', {
      endpoints: [endpoint('10.0.3.1', { conditions: { ready: false, serving: true, terminating: true } }), { addresses: ['10.0.3.4'] }],
    }));
    await settlesAt(discovery, 'lobby', ['10.0.3.4:50051']);
  });

  it('drops the endpoints of a DELETED slice and keeps the other slices’', async () => {
    fake.apply(NAMESPACE, endpointSlice('chat', 'chat-abc', { endpoints: [endpoint('10.0.4.1')] }));
    fake.apply(NAMESPACE, endpointSlice('chat', 'chat-def', { endpoints: [endpoint('10.0.4.2'), endpoint('10.0.4.3')] }));
    const discovery = await discover();
    expect(addresses(await discovery.resolve('chat'))).toEqual(['10.0.4.1:50051', '10.0.4.2:50051', '10.0.4.3:50051']);

    fake.remove(NAMESPACE, 'chat-def');

    await settlesAt(discovery, 'chat', ['10.0.4.1:50051']);
  });

  it('relists when a watch event says its resourceVersion expired (410), and stays right', async () => {
    fake.apply(NAMESPACE, endpointSlice('bank', 'bank-abc', { endpoints: [endpoint('10.0.5.1')] }));
    const discovery = await discover();
    expect(addresses(await discovery.resolve('bank'))).toEqual(['10.0.5.1:50051']);
    await waitFor(() => fake.openWatches === 1, { description: 'the bank watch' });
    const listsBefore = lists();

    fake.compact();
    fake.expireWatches();

    await waitFor(() => lists() > listsBefore, { description: 'a relist after 410 Expired' });
    await waitFor(() => lastWatch()?.resourceVersion === fake.resourceVersion, { description: 'a watch from the relist' });
    fake.apply(NAMESPACE, endpointSlice('bank', 'bank-def', { endpoints: [endpoint('10.0.5.2')] }));
    await settlesAt(discovery, 'bank', ['10.0.5.1:50051', '10.0.5.2:50051']);
    expect(discovery.view('bank').state).toBe('live');
  });

  it('relists when the API server answers a resumed watch with 410 Gone', async () => {
    fake.apply(NAMESPACE, endpointSlice('shop-front', 'shop-front-abc', { endpoints: [endpoint('10.0.6.1')] }));
    const discovery = await discover();
    expect(addresses(await discovery.resolve('shop-front'))).toEqual(['10.0.6.1:50051']);
    await waitFor(() => fake.openWatches === 1, { description: 'the shop-front watch' });
    const listsBefore = lists();

    fake.tooOldWatch = 'status';
    fake.apply(NAMESPACE, endpointSlice('shop-front', 'shop-front-abc', { endpoints: [endpoint('10.0.6.1'), endpoint('10.0.6.2')] }));
    await settlesAt(discovery, 'shop-front', ['10.0.6.1:50051', '10.0.6.2:50051']);
    // Another Service's change moves the resourceVersion past the last one this watch saw.
    fake.apply(NAMESPACE, endpointSlice('noise', 'noise-gone', { endpoints: [endpoint('10.9.8.1')] }));
    fake.compact();
    // The server's watch timeout ends the stream; the client resumes from a version now compacted away.
    fake.endWatches();

    await waitFor(() => lists() > listsBefore, { description: 'a relist after 410 Gone' });
    fake.remove(NAMESPACE, 'shop-front-abc');
    await settlesAt(discovery, 'shop-front', []);
    expect(discovery.view('shop-front').state).toBe('live');
  });

  it('resumes from a bookmark’s resourceVersion, so a compaction needs no relist', async () => {
    fake.apply(NAMESPACE, endpointSlice('arcade', 'arcade-abc', { endpoints: [endpoint('10.0.7.1')] }));
    const discovery = await discover();
    expect(addresses(await discovery.resolve('arcade'))).toEqual(['10.0.7.1:50051']);
    await waitFor(() => fake.openWatches === 1, { description: 'the arcade watch' });
    const listsBefore = lists();

    // Other Services' slices move the resourceVersion on; this watch hears none of it but the bookmark.
    for (const index of [1, 2, 3]) fake.apply(NAMESPACE, endpointSlice('noise', `noise-${index}`, { endpoints: [endpoint(`10.9.9.${index}`)] }));
    fake.bookmark();
    fake.compact();
    fake.endWatches();

    await waitFor(() => lastWatch()?.resourceVersion === fake.resourceVersion && fake.openWatches === 1, {
      description: 'a watch resumed from the bookmark',
    });
    expect(lists()).toBe(listsBefore);
    fake.apply(NAMESPACE, endpointSlice('arcade', 'arcade-abc', { endpoints: [endpoint('10.0.7.2')] }));
    await settlesAt(discovery, 'arcade', ['10.0.7.2:50051']);
  });

  it('reports the API server unreachable, keeps the last list, and recovers with a fresh full list', async () => {
    fake.apply(NAMESPACE, endpointSlice('vault', 'vault-abc', { endpoints: [endpoint('10.0.8.1'), endpoint('10.0.8.2')] }));
    fake.apply(NAMESPACE, endpointSlice('safe', 'safe-abc', { endpoints: [endpoint('10.0.8.9')] }));
    const discovery = await discover();
    expect(addresses(await discovery.resolve('vault'))).toEqual(['10.0.8.1:50051', '10.0.8.2:50051']);
    expect(addresses(await discovery.resolve('safe'))).toEqual(['10.0.8.9:50051']);

    await fake.stop();
    try {
      await waitFor(() => ['vault', 'safe'].every((service) => discovery.view(service).state === 'unreachable'), { description: 'both unreachable' });
      expect(addresses(discovery.view('vault').instances)).toEqual(['10.0.8.1:50051', '10.0.8.2:50051']);
      // First the dropped stream is reported, then the refused reconnection.
      await waitFor(() => discovery.view('vault').error?.includes('EndpointSlices of shop/vault: fetch failed: connect ECONNREFUSED'), {
        description: 'the refused connection reported',
      });
      fake.apply(NAMESPACE, endpointSlice('vault', 'vault-abc', { endpoints: [endpoint('10.0.8.1'), endpoint('10.0.8.3')] }));
    } finally {
      await fake.restart();
    }

    await settlesAt(discovery, 'vault', ['10.0.8.1:50051', '10.0.8.3:50051']);
    // Nothing changed for this one while the server was down: only a full list says it is live again.
    await waitFor(() => discovery.view('safe').state === 'live', { description: 'safe live again' });
    expect(addresses(discovery.view('safe').instances)).toEqual(['10.0.8.9:50051']);
  });

  it('ignores malformed endpoints and slices and keeps the good ones', async () => {
    fake.apply(NAMESPACE, endpointSlice('casino', 'casino-abc', { endpoints: [{ addresses: [] }, { conditions: { ready: true } }, endpoint('10.0.9.1')] }));
    fake.apply(NAMESPACE, endpointSlice('casino', 'casino-def', { ports: [], endpoints: [endpoint('10.0.9.2')] }));
    fake.apply(NAMESPACE, endpointSlice('casino', 'casino-ghi', { ports: [{ name: 'grpc', port: 99_999 }], endpoints: [endpoint('10.0.9.3')] }));
    const discovery = await discover();

    expect(addresses(await discovery.resolve('casino'))).toEqual(['10.0.9.1:50051']);
    expect(discovery.view('casino').state).toBe('live');
  });

  it('dials the port KUBERNETES_PORT_NAME names', async () => {
    const ports = [
      { name: 'grpc', port: 50051, protocol: 'TCP' },
      { name: 'grpc-internal', port: 50052, protocol: 'TCP' },
    ];
    fake.apply(NAMESPACE, endpointSlice('poker', 'poker-abc', { ports, endpoints: [endpoint('10.0.10.1')] }));
    const discovery = await discover({ KUBERNETES_PORT_NAME: 'grpc-internal' });

    expect(addresses(await discovery.resolve('poker'))).toEqual(['10.0.10.1:50052']);
  });

  it('reports a token the API server refuses, naming the HTTP status', async () => {
    vi.stubEnv('KUBECONFIG', await fake.writeKubeconfig(await mkdtemp(join(directory, 'refused-')), { token: 'revoked-token' }));
    try {
      const discovery = await discover();
      await waitFor(() => discovery.view('bingo').state === 'unreachable', { description: 'bingo unreachable' });
      expect(discovery.view('bingo').error).toContain('the API server answered HTTP 401');
    } finally {
      vi.stubEnv('KUBECONFIG', await fake.writeKubeconfig(directory));
    }
  });

  it('ends its watch streams when closed', async () => {
    const discovery = await discover();
    await Promise.all([discovery.resolve('player'), discovery.resolve('chat')]);
    await waitFor(() => fake.openWatches === 2, { description: 'two watches open' });

    await discovery.close();

    await waitFor(() => fake.openWatches === 0, { description: 'every watch closed' });
  });
});
