import { lookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Addresses an endpoint may not point at unless WEBHOOKS_ALLOW_PRIVATE_URLS=true: loopback,
 * private, carrier-grade NAT, link-local (cloud metadata at 169.254.169.254), unspecified,
 * benchmarking, multicast and reserved ranges, in IPv4 and IPv6. An admin key must not make the
 * service a probe of its own network (SSRF).
 */
const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  INTERNAL.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  INTERNAL.addSubnet(net, prefix, 'ipv6');

export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return INTERNAL.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return false;
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why `url` may not be an endpoint, or null when it may. */
export async function endpointUrlProblem(
  url: unknown,
  allowPrivate: boolean,
  resolve: (host: string) => Promise<string[]> = async (host) =>
    (await lookup(host, { all: true })).map((a) => a.address),
): Promise<string | null> {
  if (typeof url !== 'string' || url.length === 0) return 'must be a URL';
  if (url.length > 2048) return 'must be at most 2048 characters';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return 'must be an http or https URL';
  if (parsed.username || parsed.password) return 'must not carry a user name or password';
  if (parsed.hash) return 'must not have a fragment';
  if (allowPrivate) return null;
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost'))
    return 'must not point at a loopback address (WEBHOOKS_ALLOW_PRIVATE_URLS is off)';
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      return `host ${host} does not resolve`;
    }
  }
  if (addresses.some(isInternalAddress))
    return 'must not point at a private, loopback or link-local address (WEBHOOKS_ALLOW_PRIVATE_URLS is off)';
  return null;
}

/** A host's addresses, as the resolver answers now. */
export type HostResolver = (host: string) => Promise<Array<{ address: string; family: number }>>;

/** Where endpoints' host names are resolved, at registration and delivery (tests give their own). */
export const WEBHOOK_HOST_RESOLVER = Symbol('WEBHOOK_HOST_RESOLVER');

export const systemResolver: HostResolver = (host) => lookup(host, { all: true });

/** Why a delivery may not connect to `address` of `host`. */
export function privateAddressProblem(host: string, address: string): string {
  return `host ${host} is at ${address}, a private, loopback or link-local address (WEBHOOKS_ALLOW_PRIVATE_URLS is off)`;
}

/**
 * A `lookup` for the sockets of deliveries (DNS rebinding): the name is resolved once, every
 * address checked, and the socket connects to the address checked — a name that passed at
 * registration and points inside the network now fails the try instead.
 */
export function publicOnlyLookup(resolve: HostResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const family = options.family === 6 ? 6 : options.family === 4 ? 4 : 0;
        const usable = addresses.filter((a) => family === 0 || a.family === family);
        const inside = usable.find((a) => isInternalAddress(a.address));
        const first = usable[0];
        if (inside || !first) {
          const error = Object.assign(
            new Error(
              inside
                ? privateAddressProblem(hostname, inside.address)
                : `host ${hostname} has no address`,
            ),
            { code: inside ? 'EPRIVATEADDRESS' : 'ENOTFOUND' },
          );
          return callback(error, '', 0);
        }
        if (options.all) return callback(null, usable);
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}
