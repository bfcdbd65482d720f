import type { SrvRecord } from 'node:dns';
import { isIPv6 } from 'node:net';
import type { RegistryEntry } from '../service-instance.js';

/** An SRV record with the addresses its target resolved to: none when the target has no A or AAAA record. */
export interface ResolvedSrvRecord extends SrvRecord {
  addresses: readonly string[];
}

/** The instances one SRV answer yields, and why any record that cannot be dialled was left out. */
export interface SrvEntries {
  entries: RegistryEntry[];
  ignored: string[];
}

/**
 * The weight of an SRV record of weight 0. RFC 2782 gives such records "a very small chance" of
 * being picked beside records of positive weight, while records that all weigh 0 share equally.
 */
export const ZERO_WEIGHT = 0.01;

/** The SRV name to query for a service, from a template such as `_grpc._tcp.{service}.ns.svc.cluster.local`. */
export function srvQueryName(template: string, service: string): string {
  return template.replaceAll('{service}', service);
}

/** `host:port` as gRPC dials it, with an IPv6 host in brackets. */
export function hostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Maps an SRV answer to registry entries the way RFC 2782 clients choose servers: only the
 * lowest priority among the records that can be dialled is used (higher ones are fallbacks), and
 * each record's weight is shared by the addresses of its target, so a target with two A records
 * gets no more traffic than one with a single address.
 */
export function srvEntries(records: readonly ResolvedSrvRecord[]): SrvEntries {
  const ignored: string[] = [];
  const usable = records.filter((record) => {
    // A target of "." is the zone saying the service is deliberately not offered: not a fault.
    if (record.name === '' || record.name === '.') return false;
    const problem = record.port === 0 ? 'port 0 cannot be dialled' : record.addresses.length === 0 ? 'no A or AAAA record' : '';
    if (problem !== '') ignored.push(`${record.name}:${record.port}: ${problem}`);
    return problem === '';
  });
  const priority = Math.min(...usable.map((record) => record.priority));
  const entries = usable
    .filter((record) => record.priority === priority)
    .flatMap((record) => {
      const weight = (record.weight === 0 ? ZERO_WEIGHT : record.weight) / record.addresses.length;
      const metadata = { srvTarget: record.name, priority: String(record.priority) };
      return record.addresses.map((address) => ({
        // Named as the zone names it; a target with several addresses needs an id per address.
        id: hostPort(record.addresses.length === 1 ? record.name : address, record.port),
        value: { address: hostPort(address, record.port), weight, metadata },
      }));
    });
  return { entries, ignored };
}
