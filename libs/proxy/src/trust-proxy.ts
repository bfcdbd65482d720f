import proxyAddr from 'proxy-addr';

/** Decides whether the peer at `address`, `hop` steps from the gateway, is a proxy whose forwarding headers count. */
export type TrustProxy = (address: string, hop: number) => boolean;

/**
 * Parses TRUST_PROXY: `false` (trust no one: clients cannot spoof their address), a hop count (`1`:
 * one load balancer in front), or a comma-separated list of addresses, CIDRs and proxy-addr's names
 * (`loopback`, `linklocal`, `uniquelocal`). Throws with the offending entry when one does not parse.
 */
export function compileTrustProxy(text: string): TrustProxy | false {
  const value = text.trim();
  if (value === '' || value === 'false') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return hops === 0 ? false : (_address, hop) => hop < hops;
  }
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of entries) {
    try {
      proxyAddr.compile(entry);
    } catch {
      throw new Error(`"${entry}" is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal`);
    }
  }
  return proxyAddr.compile(entries);
}
