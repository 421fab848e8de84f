import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';

/**
 * Addresses the server never calls on a client's behalf (webhooks, vendor APIs): link-local (cloud
 * metadata services answer there, e.g. 169.254.169.254), the unspecified address and multicast.
 * Loopback and private networks stay allowed: a self-hosted Sentinel's receivers and vendor
 * consoles are often on them.
 */
export function isForbiddenAddress(address: string): boolean {
  let ip = address.toLowerCase().replace(/^\[|\]$/g, '').replace(/^::ffff:(?=\d+\.)/, '');
  // An IPv4-mapped IPv6 address as URL parsing writes it (::ffff:a9fe:a9fe) is that IPv4 address.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
  if (mapped) ip = [parseInt(mapped[1]!, 16) >> 8, parseInt(mapped[1]!, 16) & 255, parseInt(mapped[2]!, 16) >> 8, parseInt(mapped[2]!, 16) & 255].join('.');
  if (isIP(ip) === 4) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return a === 0 || (a === 169 && b === 254) || a >= 224;
  }
  if (isIP(ip) === 6) return ip === '::' || /^fe[89ab]/.test(ip) || ip.startsWith('ff') || ip === 'fd00:ec2::254';
  return false;
}

/** Whether a URL names a forbidden address as its host (host names are checked when they are resolved). */
export function urlNamesForbiddenAddress(url: string): boolean {
  return URL.canParse(url) && isForbiddenAddress(new URL(url).hostname);
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
type Resolve = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/**
 * A `lookup` for outgoing sockets (`net.connect`'s option) that resolves as Node does and refuses a
 * host name resolving to a forbidden address: a URL naming an ordinary host can still lead to one.
 */
export function refusingForbiddenAddresses(resolve: Resolve = dnsLookup as Resolve): Resolve {
  return (hostname, options, callback) => {
    resolve(hostname, options, (error, address, family) => {
      if (error !== null) return callback(error, address, family);
      const found = typeof address === 'string' ? [address] : address.map((entry) => entry.address);
      if (found.some(isForbiddenAddress)) return callback(new Error(`${hostname} resolves to a link-local, multicast or unspecified address (refused)`), address, family);
      callback(null, address, family);
    });
  };
}
