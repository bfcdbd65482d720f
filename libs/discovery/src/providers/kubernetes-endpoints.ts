import type { V1Endpoint, DiscoveryV1EndpointPort, V1EndpointSlice } from '@kubernetes/client-node';
import type { RegistryEntry } from '../service-instance.js';

/** The port a gateway dials when `KUBERNETES_PORT_NAME` is not set and the slice has one by this name. */
export const DEFAULT_PORT_NAME = 'grpc';

export interface SliceEndpoints {
  /** One entry per endpoint that should receive traffic, keyed by the address a client dials. */
  entries: RegistryEntry[];
  /** Why endpoints were left out as unusable; endpoints left out for not being ready are not problems. */
  problems: string[];
}

/**
 * Joins the EndpointSlices of one Service into registry entries. An endpoint may sit in two slices
 * for a while as the controller moves it (the API documentation warns of this), so the id is the
 * dialed address, not the slice name: the duplicate collapses instead of counting twice.
 * Slices come from the API server or from a watch stream as plain JSON, so every field is checked.
 */
export function sliceEndpoints(slices: Iterable<V1EndpointSlice>, portName: string | undefined): SliceEndpoints {
  const entries = new Map<string, RegistryEntry>();
  const problems: string[] = [];
  for (const slice of slices) {
    const name = slice.metadata?.name ?? '(unnamed)';
    const live = (Array.isArray(slice.endpoints) ? slice.endpoints : []).filter(receivesTraffic);
    // A Service without pods keeps a slice with no endpoints and no ports: nothing wrong with it.
    if (live.length === 0) continue;
    const chosen = chosenPort(slice.ports, portName);
    if ('problem' in chosen) {
      problems.push(`EndpointSlice ${name}: ${chosen.problem}`);
      continue;
    }
    for (const endpoint of live) {
      // The addresses of one endpoint are fungible; the API lets clients use only the first.
      const listed: unknown = (endpoint as V1Endpoint | null)?.addresses;
      const host: unknown = Array.isArray(listed) ? listed[0] : undefined;
      if (typeof host !== 'string' || host.length === 0) {
        problems.push(`EndpointSlice ${name}: an endpoint has no address`);
        continue;
      }
      const address = `${slice.addressType === 'IPv6' ? `[${host}]` : host}:${chosen.port}`;
      if (!entries.has(address)) entries.set(address, { id: address, value: { address, metadata: placement(endpoint) } });
    }
  }
  return { entries: [...entries.values()], problems };
}

/**
 * Ready, or with readiness unset (the API says nil means ready), and not terminating: a
 * terminating endpoint that still serves is draining its last requests and takes no new ones.
 */
export function receivesTraffic(endpoint: V1Endpoint): boolean {
  const conditions = (endpoint as V1Endpoint | null)?.conditions;
  return conditions?.ready !== false && conditions?.terminating !== true;
}

function chosenPort(ports: DiscoveryV1EndpointPort[] | undefined, portName: string | undefined): { port: number } | { problem: string } {
  const list = Array.isArray(ports) ? ports : [];
  const port =
    portName === undefined ? (list.find((candidate) => candidate.name === DEFAULT_PORT_NAME) ?? list[0]) : list.find((candidate) => candidate.name === portName);
  if (port === undefined) return { problem: portName === undefined ? 'no ports' : `no port named "${portName}"` };
  // A port without a number means "all ports" in the API: nothing a gateway can dial.
  if (typeof port.port !== 'number') return { problem: `port "${port.name ?? ''}" has no number` };
  return { port: port.port };
}

/** Zone and node as the endpoint states them; validation rejects the entry if they are not text. */
function placement(endpoint: V1Endpoint): Record<string, unknown> {
  return {
    ...(endpoint.zone !== undefined && { zone: endpoint.zone }),
    ...(endpoint.nodeName !== undefined && { node: endpoint.nodeName }),
  };
}
