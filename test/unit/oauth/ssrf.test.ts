import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpTransport } from '../../../shared/adapters/http/transport';
import { isServiceError } from '../../../shared/errors';
import {
  assertUrlAllowed,
  guardLookup,
  isBlockedAddress,
  literalAddressRefusal,
} from '../../../shared/policy/ssrf';
import type { HttpRequestInit } from '../../../shared/ports/http';
import { type FakeProvider, startFakeProvider } from './fixtures';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e;
  }
}

/** A resolver that answers every name with `addresses` (simulates DNS, incl. rebinding). */
function fakeLookup(addresses: LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    return callback(null, first?.address ?? '', first?.family ?? 4);
  };
}

function causeChain(e: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let c = e; c !== undefined && c !== null; c = (c as { cause?: unknown }).cause) chain.push(c);
  return chain;
}

describe('assertUrlAllowed', () => {
  it.each([
    ['loopback', 'https://127.0.0.1/token'],
    ['loopback (other)', 'https://127.8.9.10/token'],
    ['loopback (shorthand)', 'https://127.1/token'],
    ['loopback (integer)', 'https://2130706433/token'],
    ['IPv6 loopback', 'https://[::1]/token'],
    ['metadata endpoint', 'https://169.254.169.254/latest/meta-data/'],
    ['CGNAT', 'https://100.64.0.1/token'],
    ['RFC 1918 10/8', 'https://10.0.0.1/token'],
    ['RFC 1918 172.16/12', 'https://172.16.0.1/token'],
    ['RFC 1918 172.31', 'https://172.31.255.255/token'],
    ['RFC 1918 192.168/16', 'https://192.168.1.1/token'],
    ['this network', 'https://0.0.0.0/token'],
    ['IPv6 ULA', 'https://[fd00::1]/token'],
    ['IPv6 link-local', 'https://[fe80::1]/token'],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/token'],
    ['IPv4-mapped metadata', 'https://[::ffff:169.254.169.254]/token'],
    ['NAT64 of RFC 1918', 'https://[64:ff9b::10.0.0.1]/token'],
    ['IPv6 unspecified', 'https://[::]/token'],
    ['multicast', 'https://224.0.0.1/token'],
    ['IPv6 multicast', 'https://[ff02::1]/token'],
    ['broadcast', 'https://255.255.255.255/token'],
    ['localhost name', 'https://localhost/token'],
    ['localhost subdomain', 'https://api.localhost./token'],
  ])('refuses %s (%s) with url_not_allowed', (_what, url) => {
    const e = thrown(() => assertUrlAllowed(url, { allowPrivate: false }));
    expect(isServiceError(e, 'url_not_allowed')).toBe(true);
    expect((e as Error).message).toMatch(/not allowed/);
  });

  it.each([
    ['a public IPv4 literal', 'https://93.184.216.34/token'],
    ['a public IPv6 literal', 'https://[2606:2800:220:1:248:1893:25c8:1946]/token'],
    ['a public name', 'https://oauth2.googleapis.com/token'],
    ['just outside 172.16/12', 'https://172.32.0.1/token'],
    ['just outside CGNAT', 'https://100.128.0.1/token'],
  ])('allows %s (static check only)', (_what, url) => {
    expect(assertUrlAllowed(url, { allowPrivate: false }).href).toBe(url);
  });

  it('refuses http unless private URLs are allowed', () => {
    expect(
      isServiceError(
        thrown(() => assertUrlAllowed('http://example.com/t', { allowPrivate: false })),
        'url_not_allowed',
      ),
    ).toBe(true);
    expect(assertUrlAllowed('http://127.0.0.1:8080/t', { allowPrivate: true }).port).toBe('8080');
  });

  it.each([
    ['not a URL', 'not a url'],
    ['a relative URL', '/token'],
    ['another scheme', 'file:///etc/passwd'],
    ['ftp', 'ftp://example.com/token'],
    ['credentials', 'https://user:pass@example.com/token'],
  ])('refuses %s with invalid_url, even when private URLs are allowed', (_what, url) => {
    for (const allowPrivate of [false, true]) {
      const e = thrown(() => assertUrlAllowed(url, { allowPrivate }));
      expect(isServiceError(e, 'invalid_url')).toBe(true);
      expect((e as Error).message).not.toContain('pass');
    }
  });
});

describe('guardLookup', () => {
  it('drops blocked addresses from a dual-stack answer and keeps the public ones', () => {
    const inner = fakeLookup([
      { address: '10.1.2.3', family: 4 },
      { address: '93.184.216.34', family: 4 },
      { address: 'fd00::5', family: 6 },
    ]);
    let result: unknown;
    guardLookup(inner)('x.example', { all: true }, (err, addresses) => {
      result = err ?? addresses;
    });
    expect(result).toEqual([{ address: '93.184.216.34', family: 4 }]);
  });

  it('fails with url_not_allowed when every address is blocked', () => {
    let error: unknown;
    guardLookup(fakeLookup([{ address: '169.254.169.254', family: 4 }]))('x.example', {}, (err) => {
      error = err;
    });
    expect(isServiceError(error, 'url_not_allowed')).toBe(true);
  });

  it('isBlockedAddress treats a non-address as blocked', () => {
    expect(isBlockedAddress('example.com')).toBe(true);
  });
});

describe('literalAddressRefusal', () => {
  it.each(['127.0.0.1', '[::1]', '::1', '[::ffff:7f00:1]', '169.254.169.254', '10.0.0.1'])(
    'refuses %s',
    (host) => {
      expect(isServiceError(literalAddressRefusal(host), 'url_not_allowed')).toBe(true);
    },
  );

  it.each(['93.184.216.34', '[2606:2800:220:1:248:1893:25c8:1946]', 'provider.example', 'localhost'])(
    'leaves %s alone (public, or a name for the lookup to check)',
    (host) => {
      expect(literalAddressRefusal(host)).toBeNull();
    },
  );
});

describe('createHttpTransport (connect-time checks)', () => {
  let provider: FakeProvider;
  beforeAll(async () => {
    provider = await startFakeProvider();
    provider.reply(200, { ok: true });
  });
  afterAll(() => provider.close());

  const init = (): HttpRequestInit => ({
    method: 'POST',
    headers: {},
    body: 'x=1',
    signal: AbortSignal.timeout(2000),
    maxResponseBytes: 1024,
  });

  it.each([
    ['a literal loopback address', () => `${provider.origin}/token`],
    ['IPv6 loopback', () => `http://[::1]:${provider.port}/token`],
    ['an IPv4-mapped IPv6 loopback address', () => `http://[::ffff:127.0.0.1]:${provider.port}/token`],
    ['the metadata endpoint', () => 'http://169.254.169.254/latest/meta-data/'],
  ])('refuses %s before connecting', async (_what, url) => {
    const transport = createHttpTransport({ allowPrivate: false });
    const before = provider.requests.length;
    const error = await transport.request(url(), init()).catch((e: unknown) => e);
    expect(causeChain(error).some((c) => isServiceError(c, 'url_not_allowed'))).toBe(true);
    expect(provider.requests.length).toBe(before);
    transport.close();
  });

  it('refuses a name that resolves to loopback (DNS rebinding) after resolution', async () => {
    const lookup = fakeLookup([{ address: '127.0.0.1', family: 4 }]);
    const transport = createHttpTransport({ allowPrivate: false, lookup });
    const before = provider.requests.length;
    const error = await transport
      .request(`http://rebind.example:${provider.port}/token`, init())
      .catch((e: unknown) => e);
    expect(causeChain(error).some((c) => isServiceError(c, 'url_not_allowed'))).toBe(true);
    expect(provider.requests.length).toBe(before);
    transport.close();
  });

  it('refuses a name whose every address is loopback, IPv4-mapped IPv6 included', async () => {
    const lookup = fakeLookup([
      { address: '127.0.0.1', family: 4 },
      { address: '::ffff:127.0.0.1', family: 6 },
    ]);
    const transport = createHttpTransport({ allowPrivate: false, lookup });
    const before = provider.requests.length;
    const error = await transport
      .request(`http://mixed.example:${provider.port}/token`, init())
      .catch((e: unknown) => e);
    expect(causeChain(error).some((c) => isServiceError(c, 'url_not_allowed'))).toBe(true);
    expect(provider.requests.length).toBe(before);
    transport.close();
  });

  it('connects when private addresses are allowed', async () => {
    const lookup = fakeLookup([{ address: '127.0.0.1', family: 4 }]);
    const transport = createHttpTransport({ allowPrivate: true, lookup });
    const res = await transport.request(`http://rebind.example:${provider.port}/token`, init());
    expect(res.status).toBe(200);
    expect(res.bodyText).toBe('{"ok":true}');
    transport.close();
  });
});
