import type { LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { ServiceError } from '../errors';

/**
 * SSRF guard for outbound provider calls (reliability promise 14). Token and webhook URLs come from
 * configuration and per-connection metadata, so a URL may point (directly, through DNS, or via DNS
 * rebinding) at loopback, the VPC, or the cloud metadata endpoint. The static check
 * ({@link assertUrlAllowed}) catches literal addresses early; the transport's agents
 * (`createHttpTransport` in ./http) re-check every address at connect time, after DNS resolution
 * ({@link guardLookup} for host names, {@link literalAddressRefusal} for IP literals).
 */

/** IPv4 ranges that are never a legitimate provider (RFC 6890 special-purpose registry). */
const BLOCKED_V4: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network", incl. unspecified
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // CGNAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, incl. 169.254.169.254 (instance metadata)
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. broadcast
];

const BLOCKED_V6: ReadonlyArray<readonly [string, number]> = [
  ['::', 96], // unspecified, loopback ::1, deprecated IPv4-compatible addresses
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001::', 32], // Teredo (embeds an obfuscated IPv4 address)
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local (ULA)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

function v4Hex(address: string): [string, string] {
  const [a = 0, b = 0, c = 0, d = 0] = address.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

function buildBlockList(): BlockList {
  const list = new BlockList();
  for (const [address, prefix] of BLOCKED_V4) {
    list.addSubnet(address, prefix, 'ipv4');
    // BlockList matches IPv4-mapped IPv6 (::ffff:a.b.c.d) against IPv4 rules itself; NAT64 and
    // 6to4 embed the IPv4 address elsewhere, so block the embedded form of each range too.
    const [hi, lo] = v4Hex(address);
    list.addSubnet(`64:ff9b::${hi}:${lo}`, 96 + prefix, 'ipv6');
    list.addSubnet(`2002:${hi}:${lo}::`, 16 + prefix, 'ipv6');
  }
  for (const [address, prefix] of BLOCKED_V6) list.addSubnet(address, prefix, 'ipv6');
  return list;
}

const blocked = buildBlockList();

/** True when `address` (an IP literal, IPv6 without brackets) is loopback, private, link-local or reserved. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true; // not an address: refuse rather than guess
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function refusal(hostname: string, address: string): ServiceError {
  return new ServiceError(
    'url_not_allowed',
    `URL not allowed: ${hostname} resolves to a private, loopback, link-local or reserved address (${address}); set ALLOW_PRIVATE_URLS to permit it`,
    { details: { hostname, address } },
  );
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

export interface UrlPolicy {
  /** Permit http: and private/loopback addresses (local runs and tests: `ALLOW_PRIVATE_URLS`). */
  readonly allowPrivate: boolean;
}

/**
 * Static check of an outbound URL before any connection: https only (http too when `allowPrivate`),
 * no credentials in the URL, and literal IP hosts must be public. Host names are checked again at
 * connect time by the transport (`createHttpTransport` in ./http), which also covers DNS rebinding.
 * @throws ServiceError `invalid_url` (unparseable, wrong scheme, credentials) or `url_not_allowed`.
 */
export function assertUrlAllowed(url: string, policy: UrlPolicy): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ServiceError('invalid_url', 'URL is not a valid absolute URL', { cause });
  }
  const { protocol, hostname } = parsed;
  if (protocol !== 'https:' && protocol !== 'http:') {
    throw new ServiceError('invalid_url', `URL scheme ${protocol} is not supported (https only)`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ServiceError('invalid_url', `URL for ${hostname} must not carry credentials`);
  }
  if (hostname === '') throw new ServiceError('invalid_url', 'URL has no host');
  if (policy.allowPrivate) return parsed;
  if (protocol === 'http:') {
    throw new ServiceError(
      'url_not_allowed',
      `URL not allowed: ${hostname} uses http, only https is allowed`,
    );
  }
  const host = stripBrackets(hostname).replace(/\.$/, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) throw refusal(hostname, '127.0.0.1');
  if (isIP(host) !== 0 && isBlockedAddress(host)) throw refusal(hostname, host);
  return parsed;
}

/**
 * Wraps a DNS lookup so that resolved addresses are checked before the socket connects. With
 * `all: true` (Happy Eyeballs) blocked addresses are dropped and the rest kept; if none remain the
 * lookup fails with a `url_not_allowed` ServiceError, which net/tls emit as the socket error.
 */
export function guardLookup(inner: LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    inner(hostname, options, (err, address, family) => {
      if (err) return callback(err, address, family);
      if (Array.isArray(address)) {
        const allowed = address.filter((a: LookupAddress) => !isBlockedAddress(a.address));
        const first = address[0];
        if (allowed.length === 0) return callback(refusal(hostname, first?.address ?? 'none'), []);
        return callback(null, allowed);
      }
      if (isBlockedAddress(address)) return callback(refusal(hostname, address), '');
      return callback(null, address, family);
    });
  };
}

/**
 * The connect-time check for a literal IP host, which net/tls connect to without a lookup (so
 * {@link guardLookup} never sees it): a `url_not_allowed` ServiceError when `host` (brackets
 * allowed) is an IP literal in a blocked range, else null (host names are left to the lookup).
 */
export function literalAddressRefusal(host: string): ServiceError | null {
  const address = stripBrackets(host);
  return isIP(address) !== 0 && isBlockedAddress(address) ? refusal(address, address) : null;
}
