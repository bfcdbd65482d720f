import type { RegistryEntry, ServiceInstance } from '../service-instance.js';

/** The body of `PUT /v1/agent/service/register` that Portico sends. */
export interface ConsulServiceRegistration {
  ID: string;
  Name: string;
  Address: string;
  Port: number;
  Meta: Record<string, string>;
  Weights: { Passing: number; Warning: number };
  Check: { CheckID: string; Name: string; TTL: string; DeregisterCriticalServiceAfter: string };
}

/**
 * How long the agent keeps an instance whose check stays critical before removing it: six TTLs,
 * long enough for a paused process to come back to its own registration, and at the default
 * 10 s TTL exactly Consul's minimum of one minute (the agent raises anything shorter to that).
 */
const DEREGISTER_AFTER_TTLS = 6;

const HOST_PORT = /^(?:\[([\da-fA-F:]+)\]|([\w.-]+)):(\d{1,5})$/;

/** The TTL check Portico registers with each instance; Consul's own default id for a service's single check. */
export function checkId(instanceId: string): string {
  return `service:${instanceId}`;
}

export function serviceRegistration(instance: ServiceInstance, ttlMs: number): ConsulServiceRegistration {
  const match = HOST_PORT.exec(instance.address);
  if (!match) throw new Error(`cannot register ${instance.id} in Consul: address ${instance.address} is not host:port`);
  return {
    ID: instance.id,
    Name: instance.service,
    Address: (match[1] ?? match[2])!,
    Port: Number(match[3]),
    Meta: { ...instance.metadata },
    // Consul weights are whole numbers of at least 1.
    Weights: { Passing: Math.max(1, Math.round(instance.weight)), Warning: 1 },
    Check: {
      CheckID: checkId(instance.id),
      Name: 'Portico heartbeat',
      TTL: `${ttlMs}ms`,
      DeregisterCriticalServiceAfter: `${ttlMs * DEREGISTER_AFTER_TTLS}ms`,
    },
  };
}

/**
 * Whether a failed TTL pass means the agent no longer has the check (it restarted, or reaped the
 * service): current agents answer 404 "Unknown check ID", older ones 500 "CheckID ... does not
 * have associated TTL".
 */
export function isUnknownCheck(status: number, body: string): boolean {
  return status === 404 || (status === 500 && body.includes('does not have associated TTL'));
}

type Fields = Record<string, unknown>;

function fields(value: unknown): Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** `host:port` with IPv6 hosts bracketed; without a numeric port, just the host, for validation to reject. */
function address(host: unknown, port: unknown): unknown {
  if (typeof host !== 'string') return host;
  const dialable = host.includes(':') ? `[${host}]` : host;
  return typeof port === 'number' ? `${dialable}:${port}` : dialable;
}

/**
 * The entries of `GET /v1/health/service/:service`, read defensively: whatever is missing or
 * mistyped is passed on as it is, so validation rejects that entry and logs why.
 */
export function healthEntries(body: readonly unknown[]): RegistryEntry[] {
  return body.map((raw) => {
    const node = fields(fields(raw)['Node']);
    const service = fields(fields(raw)['Service']);
    const serviceId = text(service['ID']) ?? '';
    const nodeName = text(node['Node']);
    const weight = fields(service['Weights'])['Passing'];
    const metadata = service['Meta'];
    return {
      // A service ID is unique on its agent only: the same ID on two nodes is two instances.
      id: nodeName !== undefined && serviceId !== '' ? `${nodeName}/${serviceId}` : serviceId,
      value: {
        // An empty service address means "the node's address", as Consul documents.
        address: address(text(service['Address']) ?? node['Address'], service['Port']),
        ...(weight !== undefined && { weight }),
        ...(metadata !== undefined && metadata !== null && { metadata }),
      },
    };
  });
}
