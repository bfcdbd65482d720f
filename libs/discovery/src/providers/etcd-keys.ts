import type { RegistryEntry } from '../service-instance.js';

/** `/<prefix>/discovery/<service>/`: every instance of the service is one key under it. */
export function serviceKeyPrefix(prefix: string, service: string): string {
  return `/${prefix}/discovery/${service}/`;
}

export function instanceKey(prefix: string, service: string, id: string): string {
  return `${serviceKeyPrefix(prefix, service)}${id}`;
}

/**
 * The entry one key under a service's prefix holds, or undefined for a key nested deeper: that one
 * belongs to another service whose name starts with this one's and a slash (`a` and `a/b`).
 * A value that is not JSON is passed on as text, for validation to reject and log.
 */
export function registryEntry(servicePrefix: string, key: string, value: string): RegistryEntry | undefined {
  if (!key.startsWith(servicePrefix)) return undefined;
  const id = key.slice(servicePrefix.length);
  if (id.includes('/')) return undefined;
  try {
    return { id, value: JSON.parse(value) as unknown };
  } catch {
    return { id, value };
  }
}

/** etcd leases count whole seconds; rounding up never expires an instance before its TTL. */
export function leaseSeconds(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs / 1_000));
}

export interface EtcdEndpoints {
  /** `http(s)://host:port` each, as the etcd3 client dials them. */
  hosts: string[];
  auth?: { username: string; password: string };
}

/**
 * The client's hosts from ETCD_URL's URLs, without paths (gRPC has none). Credentials written
 * in a URL (`http://user:password@etcd:2379`) become etcd's password authentication.
 */
export function etcdEndpoints(urls: readonly string[]): EtcdEndpoints {
  const parsed = urls.map((url) => new URL(url));
  const withCredentials = parsed.find((url) => url.username !== '');
  return {
    hosts: parsed.map((url) => `${url.protocol}//${url.host}`),
    ...(withCredentials && {
      auth: { username: decodeURIComponent(withCredentials.username), password: decodeURIComponent(withCredentials.password) },
    }),
  };
}
