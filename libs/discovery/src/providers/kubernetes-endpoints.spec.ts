import type { V1Endpoint, V1EndpointSlice } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseEntry } from '../service-instance.js';
import { receivesTraffic, sliceEndpoints } from './kubernetes-endpoints.js';

const grpcPort = { name: 'grpc', port: 50051, protocol: 'TCP' };

function slice(name: string, endpoints: V1Endpoint[], extra: Partial<V1EndpointSlice> = {}): V1EndpointSlice {
  return { metadata: { name }, addressType: 'IPv4', ports: [grpcPort], endpoints, ...extra };
}

function addresses(slices: V1EndpointSlice[], portName?: string): string[] {
  return sliceEndpoints(slices, portName).entries.map((entry) => entry.id);
}

describe('receivesTraffic', () => {
  it.each([
    [{ ready: true, serving: true, terminating: false }, true],
    [{}, true],
    [undefined, true],
    [{ ready: false, serving: false, terminating: false }, false],
    [{ ready: false, serving: true, terminating: true }, false],
    // publishNotReadyAddresses reports terminating pods as ready; they still take no new work.
    [{ ready: true, serving: true, terminating: true }, false],
  ])('conditions %j → %s', (conditions, expected) => {
    expect(receivesTraffic({ addresses: ['10.0.0.1'], ...(conditions !== undefined && { conditions }) })).toBe(expected);
  });
});

describe('sliceEndpoints', () => {
  it('joins the slices of a Service and keeps zone and node as metadata', () => {
    const { entries, problems } = sliceEndpoints(
      [
        slice('player-a', [{ addresses: ['10.0.0.1'], zone: 'eu-1a', nodeName: 'node-1' }]),
        slice('player-b', [{ addresses: ['10.0.0.2'], conditions: { ready: true } }]),
      ],
      undefined,
    );
    expect(problems).toEqual([]);
    expect(entries).toEqual([
      { id: '10.0.0.1:50051', value: { address: '10.0.0.1:50051', metadata: { zone: 'eu-1a', node: 'node-1' } } },
      { id: '10.0.0.2:50051', value: { address: '10.0.0.2:50051', metadata: {} } },
    ]);
    expect(entries.every((entry) => parseEntry('player', entry).ok)).toBe(true);
  });

  it('counts an endpoint listed in two slices once', () => {
    expect(addresses([slice('player-a', [{ addresses: ['10.0.0.1'] }]), slice('player-b', [{ addresses: ['10.0.0.1'] }])])).toEqual([
      '10.0.0.1:50051',
    ]);
  });

  it('dials only the first of an endpoint’s fungible addresses', () => {
    expect(addresses([slice('player-a', [{ addresses: ['10.0.0.1', '10.0.0.9'] }])])).toEqual(['10.0.0.1:50051']);
  });

  it('brackets IPv6 addresses', () => {
    const entries = sliceEndpoints([slice('player-v6', [{ addresses: ['fd00::7'] }], { addressType: 'IPv6' })], undefined).entries;
    expect(entries.map((entry) => entry.id)).toEqual(['[fd00::7]:50051']);
    expect(parseEntry('player', entries[0]!).ok).toBe(true);
  });

  it('prefers the port named grpc, else takes the first', () => {
    const metrics = { name: 'metrics', port: 9090 };
    expect(addresses([slice('a', [{ addresses: ['10.0.0.1'] }], { ports: [metrics, grpcPort] })])).toEqual(['10.0.0.1:50051']);
    expect(addresses([slice('a', [{ addresses: ['10.0.0.1'] }], { ports: [metrics, { name: 'http', port: 8080 }] })])).toEqual([
      '10.0.0.1:9090',
    ]);
  });

  it('dials the configured port name, and reports slices without it', () => {
    const ports = [grpcPort, { name: 'grpc-web', port: 8081 }];
    expect(addresses([slice('a', [{ addresses: ['10.0.0.1'] }], { ports })], 'grpc-web')).toEqual(['10.0.0.1:8081']);
    const { entries, problems } = sliceEndpoints([slice('a', [{ addresses: ['10.0.0.1'] }])], 'grpc-web');
    expect(entries).toEqual([]);
    expect(problems).toEqual(['EndpointSlice a: no port named "grpc-web"']);
  });

  it('skips malformed slices and endpoints with a reason, and keeps the good ones', () => {
    const malformed = [
      slice('no-ports', [{ addresses: ['10.0.0.1'] }], { ports: [] }),
      slice('all-ports', [{ addresses: ['10.0.0.2'] }], { ports: [{ name: 'grpc' }] }),
      slice('mixed', [{ addresses: [] }, {} as V1Endpoint, null as unknown as V1Endpoint, { addresses: ['10.0.0.3'] }]),
      { metadata: { name: 'no-endpoints' } } as V1EndpointSlice,
      slice('scaled-to-zero', [], { ports: null as unknown as [] }),
    ];
    const { entries, problems } = sliceEndpoints(malformed, undefined);
    expect(entries.map((entry) => entry.id)).toEqual(['10.0.0.3:50051']);
    expect(problems).toEqual([
      'EndpointSlice no-ports: no ports',
      'EndpointSlice all-ports: port "grpc" has no number',
      'EndpointSlice mixed: an endpoint has no address',
      'EndpointSlice mixed: an endpoint has no address',
      'EndpointSlice mixed: an endpoint has no address',
    ]);
  });

  it('passes odd placement values on for validation to reject', () => {
    const entries = sliceEndpoints([slice('a', [{ addresses: ['10.0.0.1'], zone: 7 as unknown as string }])], undefined).entries;
    expect(parseEntry('player', entries[0]!)).toMatchObject({ ok: false, problem: expect.stringContaining('metadata.zone') as unknown });
  });
});
