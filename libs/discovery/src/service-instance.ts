import { z } from 'zod';

/** One live instance of a service, as every provider reports it once validated. */
export interface ServiceInstance {
  /** Unique within its service: the registry's own id (a key suffix, an endpoint, a Consul service id). */
  readonly id: string;
  readonly service: string;
  /** `host:port`, as gRPC dials it; an HTTP upstream puts its scheme in front. */
  readonly address: string;
  /** Share of traffic relative to the service's other instances. */
  readonly weight: number;
  /** Labels for routing preferences: `version`, `zone`, anything the registrant adds. */
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * One entry as a registry holds it, before validation: `value` is whatever the provider read
 * (parsed JSON, an object built from DNS or Kubernetes records, or a raw string it could not parse).
 */
export interface RegistryEntry {
  id: string;
  value: unknown;
}

const HOST_PORT = /^(?:[\w.-]+|\[[\da-fA-F:]+\]):(\d{1,5})$/;

const instanceValue = z.object({
  address: z
    .string()
    .regex(HOST_PORT, 'expected host:port')
    .refine((address) => {
      const port = Number(HOST_PORT.exec(address)?.[1]);
      return port > 0 && port < 65_536;
    }, 'port out of range'),
  weight: z.number().positive().finite().default(1),
  metadata: z.record(z.string(), z.string()).default({}),
});

/** What a registrant announces; the id and service come from where the entry is kept. */
export type InstanceValue = z.input<typeof instanceValue>;

export type ParsedEntry = { ok: true; instance: ServiceInstance } | { ok: false; problem: string };

/** Validates one registry entry; bad data is reported, never thrown, so one broken entry cannot hide the others. */
export function parseEntry(service: string, entry: RegistryEntry): ParsedEntry {
  if (entry.id.length === 0 || entry.id.length > 256) return { ok: false, problem: 'id must be 1 to 256 characters' };
  const result = instanceValue.safeParse(entry.value);
  if (!result.success) {
    return {
      ok: false,
      problem: result.error.issues.map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`).join('; '),
    };
  }
  return { ok: true, instance: { id: entry.id, service, ...result.data } };
}

/** Whether two lists name the same instances with the same address, weight and metadata, in any order. */
export function sameInstances(a: readonly ServiceInstance[], b: readonly ServiceInstance[]): boolean {
  if (a.length !== b.length) return false;
  const byId = new Map(a.map((instance) => [instance.id, instance]));
  return b.every((instance) => {
    const other = byId.get(instance.id);
    return other !== undefined && describeInstance(other) === describeInstance(instance);
  });
}

function describeInstance(instance: ServiceInstance): string {
  const metadata = Object.entries(instance.metadata).sort(([x], [y]) => (x < y ? -1 : 1));
  return JSON.stringify([instance.address, instance.weight, metadata]);
}
