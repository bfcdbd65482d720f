import { milliseconds } from '@portico/config';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DISCOVERY_KINDS, type DiscoveryKind } from './discovery-provider.js';

const optionalText = z.string().min(1).optional();

const hostPort = z.string().regex(/^(?:[\w.-]+|\[[\da-fA-F:]+\]):\d{1,5}$/, 'expected host:port, for example 10.0.0.7:50051');

const urlList = z.string().transform((value, context) => {
  const urls = value
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url.length > 0);
  if (urls.length === 0 || !urls.every((url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol))) {
    context.addIssue({ code: 'custom', message: 'expected http:// or https:// URLs, comma-separated' });
    return z.NEVER;
  }
  return urls;
});

/** Environment fields every app that discovers or registers services shares; spread into its schema. */
export const discoveryFields = {
  DISCOVERY: z.enum(DISCOVERY_KINDS).default('static'),
  DISCOVERY_TTL_MS: z.coerce.number().int().min(1_000).default(10_000),
  DISCOVERY_PREFIX: z.string().regex(/^[\w.-]+$/, 'letters, digits, dots, dashes and underscores only').default('portico'),
  ETCD_URL: urlList.optional(),
  DNS_SERVER: z
    .string()
    .regex(/^(?:[\d.]+|\[[\da-fA-F:]+\])(?::\d{1,5})?$/, 'expected an IP address with an optional port, e.g. 127.0.0.1:5353')
    .optional(),
  DNS_SRV_NAME: z.string().includes('{service}', { message: 'must contain {service}' }).default('_grpc._tcp.{service}'),
  DNS_REFRESH_MS: milliseconds(2_000).pipe(z.number().min(100)),
  KUBERNETES_NAMESPACE: optionalText,
  KUBERNETES_PORT_NAME: optionalText,
  CONSUL_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8500'),
  CONSUL_TOKEN: optionalText,
  /** The zone this process runs in: services register it, the gateway prefers instances in the same zone. */
  ZONE: optionalText,
};

/** Fields of a service that registers itself. */
export const registrationFields = {
  SERVICE_ADVERTISE_ADDRESS: hostPort.optional(),
  SERVICE_INSTANCE_ID: z.string().regex(/^[\w.:-]{1,128}$/, 'letters, digits and . _ : - only, at most 128').optional(),
  SERVICE_VERSION: z.string().min(1).default('1'),
  SERVICE_WEIGHT: z.coerce.number().positive().max(1_000).default(1),
};

export type DiscoveryEnvironment = z.output<z.ZodObject<typeof discoveryFields>> & { REDIS_URL?: string | undefined };
export type RegistrationEnvironment = DiscoveryEnvironment & z.output<z.ZodObject<typeof registrationFields>>;

/** Rules across variables, for the app schema's superRefine: each provider's address must be set. */
export function checkDiscovery(env: DiscoveryEnvironment, context: z.RefinementCtx): void {
  if (env.DISCOVERY === 'redis' && env.REDIS_URL === undefined) {
    context.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'DISCOVERY=redis needs REDIS_URL' });
  }
  if (env.DISCOVERY === 'etcd' && env.ETCD_URL === undefined) {
    context.addIssue({ code: 'custom', path: ['ETCD_URL'], message: 'DISCOVERY=etcd needs ETCD_URL' });
  }
}

/** Everything a provider may need, whichever is chosen. */
export interface DiscoverySettings {
  kind: DiscoveryKind;
  ttlMs: number;
  prefix: string;
  redisUrl?: string;
  etcdUrls?: readonly string[];
  dns: { server?: string; srvName: string; refreshMs: number };
  kubernetes: { namespace?: string; portName?: string };
  consul: { url: string; token?: string };
  /** For `static`: the configured addresses of each service. */
  static: Readonly<Record<string, readonly string[]>>;
}

export function discoverySettings(
  env: DiscoveryEnvironment,
  staticAddresses: Readonly<Record<string, readonly string[]>> = {},
): DiscoverySettings {
  return {
    kind: env.DISCOVERY,
    ttlMs: env.DISCOVERY_TTL_MS,
    prefix: env.DISCOVERY_PREFIX,
    ...(env.REDIS_URL !== undefined && { redisUrl: env.REDIS_URL }),
    ...(env.ETCD_URL !== undefined && { etcdUrls: env.ETCD_URL }),
    dns: { srvName: env.DNS_SRV_NAME, refreshMs: env.DNS_REFRESH_MS, ...(env.DNS_SERVER !== undefined && { server: env.DNS_SERVER }) },
    kubernetes: {
      ...(env.KUBERNETES_NAMESPACE !== undefined && { namespace: env.KUBERNETES_NAMESPACE }),
      ...(env.KUBERNETES_PORT_NAME !== undefined && { portName: env.KUBERNETES_PORT_NAME }),
    },
    consul: { url: env.CONSUL_URL, ...(env.CONSUL_TOKEN !== undefined && { token: env.CONSUL_TOKEN }) },
    static: staticAddresses,
  };
}

/**
 * The instance a service announces. The address defaults to the listen address, with a wildcard
 * host (0.0.0.0, ::) replaced by this machine's hostname, since nobody can dial a wildcard.
 */
export function announcedInstance(service: string, listenAddress: string, env: RegistrationEnvironment) {
  const address = env.SERVICE_ADVERTISE_ADDRESS ?? listenAddress.replace(/^(?:0\.0\.0\.0|\[::\]|::)(?=:\d+$)/, hostname());
  return {
    service,
    id: env.SERVICE_INSTANCE_ID ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    address,
    weight: env.SERVICE_WEIGHT,
    metadata: { version: env.SERVICE_VERSION, ...(env.ZONE !== undefined && { zone: env.ZONE }) },
  };
}
