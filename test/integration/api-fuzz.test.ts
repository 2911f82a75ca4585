// Issue 4 acceptance, reliability.md promises 19 and 9: a fuzz of malformed requests against every
// route of shared/api through the real local runtime (HTTP server, api handler, dynalite) never
// yields a 5xx, always answers api.md's error envelope, never changes stored data, and no response
// body or header ever carries a refresh token, a client secret or a stored key.
//
// Requests are generated symbolically (keys and secrets as `$ADMIN`, `$CS0`, ...) and materialized
// only when sent, so a counterexample printed by fast-check never contains a secret.
//
// Which requests reach a route handler is decided by the real router itself, run dry (same route
// table, same zod schemas, handlers replaced by a stub): a request the dry run rejects must get the
// very same status and code from the service, and a request that would reach a MUTATING handler is
// sent only when it targets ids that are not seeded (it must then answer 404 and create nothing);
// otherwise it is skipped. After the fuzz every item of the table must be byte-equal to the snapshot.
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { apiKeySha256, DynamoApiKeyStore } from '../../shared/adapters/aws/dynamodb/api-keys';
import type { ApiDeps } from '../../shared/api/deps';
import type { AnyRoute } from '../../shared/api/route';
import { type ApiRequest, createRouter } from '../../shared/api/router';
import { routes } from '../../shared/api/routes';
import type { ConnectionView } from '../../shared/api/schemas/connections';
import { ID_PATTERN } from '../../shared/domain/ids';
import type { Principal } from '../../shared/domain/principal';
import { systemClock } from '../../shared/ports/clock';
import { silentLogger } from '../../shared/ports/logger';
import { startTestRuntime, type TestRuntime } from '../support/local';
import { type OidcHarness, startOidcProvider } from '../support/oidc';
import { rememberSecret } from '../support/secrets';

/** A route with a body is drawn three times as often as one without (its body is what gets fuzzed). */
const routeWeight = (r: { body?: unknown }) => (r.body === undefined ? 1 : 3);
/**
 * Enough runs that the least-drawn route expects 40 cases, so "every route was exercised more than
 * 5 times" holds whatever the seed as the route table grows, even for routes most of whose cases
 * are valid mutations of seeded data (skipped, so as to change nothing), such as deletes.
 */
const MAIN_RUNS = Math.max(400, 40 * routes.reduce((sum, r) => sum + routeWeight(r), 0));
const CALLBACK_RUNS = 100;
const SCRATCH_RUNS = 50;

// ---------------------------------------------------------------------------------------------
// The seeded state
// ---------------------------------------------------------------------------------------------

const INTEGRATION = 'acme-oidc';
const CATALOGUE_INTEGRATION = 'google-prod';
const SEEDED_INTEGRATIONS: ReadonlySet<string> = new Set([INTEGRATION, CATALOGUE_INTEGRATION]);
/** Connections of INTEGRATION; the last one ends `needs_reauth`. */
const CONNECTIONS = ['user-42', 'alice@example.com', 'team:7.b'] as const;
const REVOKED_CONNECTION = CONNECTIONS[2];
const SEEDED_CONNECTIONS: ReadonlySet<string> = new Set(CONNECTIONS);
const KNOWN_IDS: ReadonlySet<string> = new Set([...SEEDED_INTEGRATIONS, ...CONNECTIONS]);

/** api.md's table of error codes. */
const API_CODES = [
  'invalid_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'reauth_required',
  'provider_error',
  'provider_unavailable',
  'refresh_in_progress',
] as const;
const envelopeSchema = z
  .object({
    error: z
      .object({ code: z.enum(API_CODES), message: z.string().min(1), details: z.unknown().optional() })
      .strict(),
  })
  .strict();

/** Values sent in fuzzed bodies where secrets go (`$CS0`, `$RT1`, `$AT2`): never to be echoed back. */
const bodySecrets = {
  CS: [0, 1, 2].map(() => `fz-cs-${randomBytes(12).toString('base64url')}`),
  RT: [0, 1, 2].map(() => `fz-rt-${randomBytes(12).toString('base64url')}`),
  AT: [0, 1, 2].map(() => `fz-at-${randomBytes(12).toString('base64url')}`),
};
const MASTER_KEY = randomBytes(32);

// ---------------------------------------------------------------------------------------------
// Symbolic requests
// ---------------------------------------------------------------------------------------------

/** Literal JSON text spliced in where a body value is `__RAW_<i>__` (what JSON.stringify cannot write). */
const RAW_LITERALS = [
  '1e309',
  '-1e309',
  '1E400',
  '-0',
  '1e-400',
  '123456789012345678901234567890',
  '0.30000000000000004',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '"\\u0000"',
  '"\\ud800"',
  '{"a":1,"a":2}',
] as const;

type BodySpec =
  | { readonly kind: 'none' }
  /** Literal text (malformed JSON, scalars, garbage). */
  | { readonly kind: 'text'; readonly text: string }
  /** Bytes that are not UTF-8. */
  | { readonly kind: 'bytes'; readonly hex: string }
  /** JSON of this value (placeholders expanded), padded with whitespace up to `padTo` bytes. */
  | { readonly kind: 'json'; readonly value: unknown; readonly padTo?: number };

interface FuzzCase {
  readonly op: string;
  readonly method: string;
  /** The raw request path, as sent (percent-encoding and all). */
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly query: string;
  /** Authorization header values (placeholders `$ADMIN`, `$READER`, ...); empty for none. */
  readonly auth: readonly string[];
  readonly contentType: string | null;
  readonly body: BodySpec;
}

/** Bytes of every character, percent-encoded (`%61%62`): decodes to the same id. */
const percentEveryByte = (s: string) =>
  [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

const encodedAnyway = (id: string) =>
  fc.constantFrom(id, encodeURIComponent(id), percentEveryByte(id), id.toUpperCase());

const ODD_SEGMENTS = [
  '.',
  '..',
  '%2E%2E',
  '%2F',
  'a%2Fb',
  '%2F..%2F',
  '%00',
  'user-42%00',
  '%20',
  'a%20b',
  'user-42%20',
  '+',
  '%',
  '%zz',
  '%E0%A4%A',
  '%C3%28',
  '%C3%BC-user',
  '%F0%9F%92%A9',
  '%EF%BB%BFuser-42',
  '%0A',
  '%0D%0Aset-cookie:%20x',
  'a'.repeat(128), // the longest valid id
  'a'.repeat(129),
  'b'.repeat(1_000),
  '-lead',
  '_lead',
  '.hidden',
  'I%23acme-oidc',
  'C%23user-42',
  'S%23state',
  'KEYS',
  'user%2342',
  '%3Cscript%3E',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '%2A',
  'a~b',
  'a!b',
  '%22',
  '%5C',
  'user-42.',
  'acme-oidc%2Fconnections%2Fuser-42',
  '%252F',
] as const;

const unknownIdArb = fc
  .stringMatching(ID_PATTERN)
  .filter((id) => !KNOWN_IDS.has(id))
  .map(encodeURIComponent);
const graphemeSegmentArb = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 24 })
  .map(encodeURIComponent);

function segmentArb(name: string): fc.Arbitrary<string> {
  const seeded =
    name === 'integration_id'
      ? fc.constantFrom(INTEGRATION, INTEGRATION, CATALOGUE_INTEGRATION).chain(encodedAnyway)
      : name === 'connection_id'
        ? fc.constantFrom(...CONNECTIONS).chain(encodedAnyway)
        : unknownIdArb;
  return fc.oneof(
    { weight: 5, arbitrary: seeded },
    { weight: 2, arbitrary: unknownIdArb },
    { weight: 3, arbitrary: fc.constantFrom(...ODD_SEGMENTS) },
    { weight: 1, arbitrary: graphemeSegmentArb },
  );
}

function pathArb(template: string): fc.Arbitrary<string> {
  const parts = template
    .split('/')
    .map((part) =>
      part.startsWith('{') && part.endsWith('}') ? segmentArb(part.slice(1, -1)) : fc.constant(part),
    );
  const twist = fc.oneof(
    { weight: 12, arbitrary: fc.constant((p: string) => p) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        (p: string) => `${p}/`,
        (p: string) => `/${p}`,
        (p: string) => `${p}/extra`,
        (p: string) => p.replace('/v1/', '/V1/'),
        (p: string) => p.replace('/v1/', '/v1//'),
        (p: string) => `${p}%2F`,
        (p: string) => `${p};x=1`,
      ),
    },
  );
  return fc.tuple(fc.tuple(...parts), twist).map(([segments, f]) => f(segments.join('/')));
}

const base64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const NUMBERS = [
  '-1',
  '0',
  '1',
  '50',
  '500',
  '501',
  '86400',
  '86401',
  '-86400',
  '1e3',
  '1e309',
  '-1e309',
  'NaN',
  'Infinity',
  '-Infinity',
  '1.5',
  '0.0',
  '-0',
  '0x1F',
  '0b11',
  '1_000',
  '%205',
  '5%20',
  '',
  '9'.repeat(400),
  '%D9%A3', // ٣, an Arabic-Indic digit
  '%EF%BC%91', // １, a fullwidth digit
  '1,2',
  '%5B1%5D',
  'true',
  'null',
  '2e-7',
  '.5',
  '5.',
  '%2B5',
  '00010',
  '9007199254740993',
];
const CURSORS = [
  'abc',
  '!!!',
  'x'.repeat(2_100),
  '%00',
  'eyJwayI6',
  `${base64url(JSON.stringify({ pk: `I#${INTEGRATION}`, sk: 'C#user-42' }))}`,
  `${Buffer.from(JSON.stringify({ pk: `I#${INTEGRATION}`, sk: 'C#user-42' })).toString('base64')}`,
  base64url(JSON.stringify({ pk: `I#${INTEGRATION}`, sk: 'I' })),
  base64url(JSON.stringify({ pk: 'KEYS', sk: '0'.repeat(64) })),
  base64url(JSON.stringify({ pk: 'S#state', sk: 'S' })),
  base64url(JSON.stringify({ pk: `I#${CATALOGUE_INTEGRATION}`, sk: 'C#x' })),
  base64url(JSON.stringify({ pk: 'I#a', sk: 'C#b', extra: 1 })),
  base64url(JSON.stringify({ pk: 1, sk: 2 })),
  base64url(JSON.stringify({ pk: `I#${'a'.repeat(300)}`, sk: 'C#b' })),
  base64url(JSON.stringify({ pk: 'I#', sk: 'C#' })),
  base64url('null'),
  base64url('[]'),
  base64url('{"__proto__":{"pk":"I#a","sk":"C#b"}}'),
  base64url('not json'),
];
const QUERY_STRINGS = [
  'active',
  'failing',
  'needs_reauth',
  'bogus',
  'ACTIVE',
  'active,failing',
  'needs%5Freauth',
  'true',
  'false',
  'TRUE',
  'yes',
  'true,false',
  '%',
  '%zz',
  '%00',
  '+',
  '%2B',
  '%E0%A4%A',
  'a%20b',
  '%3Cscript%3E',
  '%27',
  'x'.repeat(2_100),
  INTEGRATION,
  CATALOGUE_INTEGRATION,
];
const QUERY_NAMES = [
  'limit',
  'limit',
  'min_validity_seconds',
  'min_validity_seconds',
  'force_refresh',
  'cursor',
  'status',
  'integration_id',
  'code',
  'state',
  'error',
  'x',
  '__proto__',
  'constructor',
  'limit[]',
  'LIMIT',
  '',
  'li%6Dit',
  'min_validity_seconds%00',
];
const queryValueArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 2, arbitrary: fc.constantFrom(...QUERY_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...CURSORS) },
  { weight: 1, arbitrary: unknownIdArb },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map((d) => encodeURIComponent(String(d))) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent) },
);
const queryPairArb = fc
  .tuple(fc.constantFrom(...QUERY_NAMES), queryValueArb, fc.nat(9))
  .map(([name, value, bare]) => (bare === 0 ? name : `${name}=${value}`));
const queryArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  { weight: 5, arbitrary: fc.array(queryPairArb, { minLength: 1, maxLength: 4 }).map((ps) => ps.join('&')) },
);

const printableAscii = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
const GARBAGE_AUTH: readonly (readonly string[])[] = [
  ['Bearer'],
  ['Bearer '],
  ['bearer $ADMIN'],
  ['BEARER    $ADMIN'],
  ['Bearer $ADMIN x'],
  ['Bearer $ADMINx'],
  ['Bearer x$ADMIN'],
  ['Bearer\t$ADMIN'],
  ['Basic $ADMIN_B64'],
  ['Token $ADMIN'],
  ['$ADMIN'],
  ['Bearer "$ADMIN"'],
  ['Bearer $ADMIN_HEX'],
  ['Bearer $READER', 'Bearer $ADMIN'],
  ['Bearer $ADMIN', 'Bearer $ADMIN'],
  ['Bearer $READER,$ADMIN'],
  [`Bearer ork_${'A'.repeat(43)}`],
  [`Bearer ${'x'.repeat(4_000)}`],
  ['Bearer %00'],
  ['Bearer \u00e9'],
  ['Bearer \u00ff\u0080'],
];
const authArb = fc.oneof(
  { weight: 10, arbitrary: fc.constant(['Bearer $ADMIN']) },
  { weight: 3, arbitrary: fc.constant(['Bearer $READER']) },
  { weight: 1, arbitrary: fc.constant(['Bearer $REVOKED']) },
  { weight: 2, arbitrary: fc.constant([]) },
  { weight: 3, arbitrary: fc.constantFrom(...GARBAGE_AUTH) },
  { weight: 1, arbitrary: fc.string({ unit: printableAscii, maxLength: 60 }).map((s) => [s]) },
);

const contentTypeArb = fc.oneof(
  { weight: 10, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/json;charset=latin1',
      'text/plain',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      'application/json-patch+json',
      'application/problem+json',
      '*/*',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.constant(null) },
);

/** A valid body per route, with `$CS0`-style placeholders where secrets go. */
const TEMPLATES: Readonly<Record<string, Record<string, unknown>>> = {
  putIntegration: {
    provider: 'custom',
    client_id: 'fuzz-client',
    client_secret: '$CS0',
    token_url: 'https://provider.example/oauth/token',
    authorization_url: 'https://provider.example/oauth/authorize',
    scopes: ['openid', 'offline_access'],
    authorization_params: { prompt: 'consent' },
    client_auth: 'client_secret_post',
    refresh_params: { audience: 'x' },
    webhook_url: 'https://app.example/hooks/oauth',
    refresh: { margin_seconds: 900, keepalive_seconds: 86_400, mode: 'proactive' },
  },
  putConnection: {
    access_token: '$AT0',
    refresh_token: '$RT0',
    expires_in: 3599,
    token_type: 'Bearer',
    scope: 'openid email',
    raw: { any: 'provider response fields' },
    metadata: { customer: 'acme' },
  },
  createConnectSession: {
    integration_id: INTEGRATION,
    connection_id: 'user-42',
    redirect_uri: 'https://app.example/connected',
  },
};

const WRONG_VALUES: readonly unknown[] = [
  null,
  0,
  -1,
  1.5,
  true,
  false,
  '',
  ' ',
  'x',
  [],
  {},
  [1, 'a'],
  { a: 1 },
  315_360_001,
  -86_401,
  2 ** 53 + 2,
  1e21,
  '__PAD_5000__',
  '__PAD_17000__',
  '2026-13-45T99:99:99Z',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '2026-11-25T12:00:00',
  'not a url',
  'javascript:alert(1)',
  'http://169.254.169.254/latest/meta-data',
  'https://127.0.0.1/token',
  'https://[::1]/token',
  'file:///etc/passwd',
  'https://user:pass@app.example/x',
  'https://app.example/x#frag',
  'https://provider.example/{tenant}/token',
  'custom',
  'google',
  'client_secret_basic',
  'on_demand',
  'proactive',
  { margin_seconds: -1 },
  { margin_seconds: 86_401, keepalive_seconds: 59 },
  { mode: 'sometimes' },
  { margin_second: 5 },
  ...RAW_LITERALS.map((_, i) => `__RAW_${i}__`),
];
const EXTRA_FIELDS = ['unknown_field', '__proto__', 'constructor', 'CLIENT_SECRET', 'client_secret ', ''];

/** Where secrets go, and the placeholder of each (expanded only when sent). */
const SECRET_FIELDS: Readonly<Record<string, string>> = {
  client_secret: '$CS1',
  refresh_token: '$RT1',
  access_token: '$AT1',
};

type Mutation =
  | { readonly kind: 'set'; readonly field: string; readonly value: unknown }
  /** A secret in its own field: as is (valid), too long, or of the wrong type. It must never be echoed. */
  | { readonly kind: 'secret'; readonly field: string; readonly variant: 0 | 1 | 2 | 3 }
  | { readonly kind: 'delete'; readonly field: string }
  | { readonly kind: 'deep'; readonly field: string; readonly depth: number; readonly shape: 'a' | 'o' };

function bodyFields(route: AnyRoute<ApiDeps>): string[] {
  const shape = (route.body as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape === undefined ? [] : Object.keys(shape);
}

function mutationArb(fields: readonly string[]): fc.Arbitrary<Mutation> {
  const field = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...(fields.length > 0 ? fields : ['a'])) },
    { weight: 1, arbitrary: fc.constantFrom(...EXTRA_FIELDS) },
  );
  const secretFields = fields.filter((f) => SECRET_FIELDS[f] !== undefined);
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('set' as const),
        field,
        value: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...WRONG_VALUES) },
          { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
        ),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), field }) },
    ...(secretFields.length === 0
      ? []
      : [
          {
            weight: 2,
            arbitrary: fc.record({
              kind: fc.constant('secret' as const),
              field: fc.constantFrom(...secretFields),
              variant: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
            }),
          },
        ]),
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('deep' as const),
        field,
        depth: fc.constantFrom(17, 33, 100, 1_000, 5_000, 20_000),
        shape: fc.constantFrom('a' as const, 'o' as const),
      }),
    },
  );
}

/** An own property even for `__proto__` (assignment would set the prototype instead). */
const define = (o: Record<string, unknown>, key: string, value: unknown) =>
  Object.defineProperty(o, key, { value, enumerable: true, configurable: true, writable: true });

function applyMutations(template: Record<string, unknown>, mutations: readonly Mutation[]): unknown {
  const value: Record<string, unknown> = { ...template };
  for (const m of mutations) {
    if (m.kind === 'delete') delete value[m.field];
    else if (m.kind === 'set') define(value, m.field, m.value);
    else if (m.kind === 'secret') {
      const secret = SECRET_FIELDS[m.field] ?? '$CS1';
      value[m.field] = [secret, `${secret}__PAD_17000__`, [secret], { value: secret }][m.variant];
    } else {
      // metadata/raw take a record: nest inside it, where a deep document is otherwise allowed.
      const deep = `__DEEP_${m.depth}_${m.shape}__`;
      const nested = m.field === 'metadata' || m.field === 'raw' ? { a: deep } : deep;
      define(value, m.field, nested);
    }
  }
  return value;
}

const MALFORMED = [
  '',
  ' ',
  'null',
  '[]',
  '[{}]',
  '"x"',
  '0',
  'true',
  '{}',
  '{',
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  'undefined',
  'NaN',
  '\ufeff{}',
  '{"a":1}garbage',
  '{"a":1}{"b":2}',
  '\u0000',
  '{"access_token":"$AT1"',
  '{"client_secret":"$CS1",}',
  'access_token=$AT2&refresh_token=$RT2',
  '<xml/>',
];

function bodyArb(route: AnyRoute<ApiDeps>): fc.Arbitrary<BodySpec> {
  const template = TEMPLATES[route.operationId];
  const garbage = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...MALFORMED).map((text) => ({ kind: 'text' as const, text })) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((text) => ({ kind: 'text' as const, text })) },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ minLength: 1, maxLength: 64 })
        .map((b) => ({ kind: 'bytes' as const, hex: `c328ff${Buffer.from(b).toString('hex')}` })),
    },
  );
  const padTo = fc.constantFrom(65_535, 65_536, 65_537, 70_000, 300_000);
  if (route.body === undefined || template === undefined) {
    return fc.oneof(
      { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
      { weight: 1, arbitrary: garbage },
      { weight: 1, arbitrary: padTo.map((n) => ({ kind: 'json' as const, value: {}, padTo: n })) },
    );
  }
  const mutated = fc
    .array(mutationArb(bodyFields(route)), { minLength: 1, maxLength: 3 })
    .map((ms) => applyMutations(template, ms));
  return fc.oneof(
    { weight: 8, arbitrary: mutated.map((value) => ({ kind: 'json' as const, value })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'json' as const, value: template }) },
    { weight: 3, arbitrary: garbage },
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.oneof(fc.constant<unknown>(template), mutated), padTo)
        .map(([value, n]) => ({ kind: 'json' as const, value, padTo: n })),
    },
  );
}

function caseArb(route: AnyRoute<ApiDeps>): fc.Arbitrary<FuzzCase> {
  const method = fc.oneof(
    { weight: 12, arbitrary: fc.constant(route.method) },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS') },
  );
  return fc.record({
    op: fc.constant(route.operationId),
    method,
    path: pathArb(route.path),
    query: queryArb,
    auth: authArb,
    contentType: contentTypeArb,
    body: bodyArb(route),
  });
}

/** Run first, every time: each rejection the router makes, and the regressions this fuzz found. */
const EXAMPLES: readonly FuzzCase[] = (() => {
  const seededConnection = `/v1/integrations/${INTEGRATION}/connections/user-42`;
  const base = {
    query: '',
    auth: ['Bearer $ADMIN'],
    contentType: 'application/json',
    body: { kind: 'none' },
  } as const;
  const putConnection = { ...base, op: 'putConnection', method: 'PUT', path: seededConnection } as const;
  const connection = TEMPLATES.putConnection ?? {};
  return [
    // 413, 415, 401, 403, 400 (query), 404 (route).
    { ...putConnection, body: { kind: 'json', value: connection, padTo: 70_000 } },
    { ...putConnection, contentType: 'text/plain', body: { kind: 'json', value: connection } },
    { ...putConnection, auth: ['Bearer $REVOKED'], body: { kind: 'json', value: connection } },
    { ...putConnection, auth: ['Bearer $READER'], body: { kind: 'json', value: connection } },
    {
      ...base,
      op: 'getToken',
      method: 'GET',
      path: `${seededConnection}/token`,
      query: 'min_validity_seconds=86401',
    },
    { ...base, op: 'listConnections', method: 'GET', path: '/v1/connections', query: 'limit=0&cursor=%25' },
    { ...base, op: 'getHealth', method: 'PATCH', path: '/health' },
    // Were 500s: metadata nested 5000 deep overflowed zod's recursive z.json(); raw nested 20 000
    // deep passed validation and overflowed JSON.stringify when encrypted.
    {
      ...putConnection,
      body: { kind: 'json', value: { ...connection, metadata: { a: '__DEEP_5000_a__' } } },
    },
    { ...putConnection, body: { kind: 'json', value: { ...connection, raw: { a: '__DEEP_20000_o__' } } } },
  ];
})();

// ---------------------------------------------------------------------------------------------
// Materializing and sending
// ---------------------------------------------------------------------------------------------

interface Keys {
  readonly admin: string;
  readonly reader: string;
  readonly revoked: string;
}

function authHeaders(auth: readonly string[], keys: Keys): string[] {
  return auth.map((v) =>
    v.replace(/\$(ADMIN_B64|ADMIN_HEX|ADMIN|READER|REVOKED)/g, (_, name: string) => {
      switch (name) {
        case 'ADMIN_B64':
          return Buffer.from(`admin:${keys.admin}`).toString('base64');
        case 'ADMIN_HEX':
          return apiKeySha256(keys.admin).toString('hex');
        case 'READER':
          return keys.reader;
        case 'REVOKED':
          return keys.revoked;
        default:
          return keys.admin;
      }
    }),
  );
}

function expandSecrets(text: string): string {
  return text.replace(/\$(CS|RT|AT)(\d)/g, (whole, kind: 'CS' | 'RT' | 'AT', i: string) => {
    return bodySecrets[kind][Number(i)] ?? whole;
  });
}

function bodyBytes(spec: BodySpec): Buffer | undefined {
  switch (spec.kind) {
    case 'none':
      return undefined;
    case 'bytes':
      return Buffer.from(spec.hex, 'hex');
    case 'text':
      return Buffer.from(expandSecrets(spec.text), 'utf8');
    case 'json': {
      const text = expandSecrets(JSON.stringify(spec.value) ?? 'null')
        .replace(/__PAD_(\d+)__/g, (_, n: string) => 'x'.repeat(Number(n)))
        .replace(/"__RAW_(\d+)__"/g, (_, i: string) => RAW_LITERALS[Number(i)] ?? 'null')
        .replace(/"__DEEP_(\d+)_([ao])__"/g, (_, n: string, shape: string) => {
          const depth = Number(n);
          return shape === 'a'
            ? `${'['.repeat(depth)}${']'.repeat(depth)}`
            : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
        });
      const bytes = Buffer.byteLength(text, 'utf8');
      const pad = spec.padTo === undefined ? 0 : Math.max(0, spec.padTo - bytes);
      // Trailing whitespace keeps the JSON valid: the size alone must be what is refused.
      return Buffer.from(`${text}${' '.repeat(pad)}`, 'utf8');
    }
  }
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

function send(
  baseUrl: string,
  method: string,
  target: string,
  headers: Record<string, string | string[]>,
  body: Buffer | undefined,
): Promise<Answer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: hostname,
        port,
        method,
        path: target,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(body.length) }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The request the router sees for what {@link send} sends (mirrors infra/local/http.ts toEvent). */
function asRouterRequest(
  method: string,
  path: string,
  rawQuery: string,
  headers: Record<string, string | string[]>,
  body: Buffer | undefined,
): ApiRequest {
  const lowered: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    // HTTP strips optional whitespace around field values; repeated fields are joined with ','.
    const values = (Array.isArray(value) ? value : [value]).map((v) => v.replace(/^[ \t]+|[ \t]+$/g, ''));
    lowered[name.toLowerCase()] = values.join(',');
  }
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  }
  return {
    method,
    path,
    query,
    headers: lowered,
    body: body === undefined || body.length === 0 ? undefined : body.toString('utf8'),
    requestId: 'dry-run',
  };
}

/** The parsed body, or undefined (a SyntaxError's message would quote the body, secrets and all). */
function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** api.md's error envelope, as JSON, with a code from api.md's table. */
function envelopeOf(answer: Answer): z.infer<typeof envelopeSchema> | undefined {
  if (!String(answer.headers['content-type'] ?? '').startsWith('application/json')) return undefined;
  const parsed = envelopeSchema.safeParse(jsonOf(answer.text));
  return parsed.success ? parsed.data : undefined;
}

// ---------------------------------------------------------------------------------------------
// Table snapshots
// ---------------------------------------------------------------------------------------------

function stable(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(stable);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      // Sets have no order.
      out[key] =
        (key === 'SS' || key === 'NS' || key === 'BS') && Array.isArray(v)
          ? v.map((m) => JSON.stringify(stable(m))).sort()
          : stable(v);
    }
    return out;
  }
  return value;
}

/** Every item of the table: `pk|sk` → its exact attributes, serialized stably. */
async function snapshot(svc: TestRuntime): Promise<Map<string, string>> {
  const items = new Map<string, string>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await svc.local.dynamo.send(
      new ScanCommand({
        TableName: svc.local.tableName,
        ConsistentRead: true,
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    for (const item of out.Items ?? []) {
      // An API key's last_used_at is the one write a valid call may make (at most every 15 minutes).
      const { last_used_at: _used, ...rest } = item;
      items.set(`${item.pk?.S}|${item.sk?.S}`, JSON.stringify(stable(rest)));
    }
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** Keys (never values: they hold ciphertexts and digests) that differ between two snapshots. */
function difference(before: Map<string, string>, after: Map<string, string>) {
  return {
    added: [...after.keys()].filter((k) => !before.has(k)).sort(),
    removed: [...before.keys()].filter((k) => !after.has(k)).sort(),
    changed: [...before.keys()].filter((k) => after.has(k) && after.get(k) !== before.get(k)).sort(),
  };
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

describe('API fuzz: malformed requests never 5xx, never change data, never leak', () => {
  let svc: TestRuntime;
  let oidc: OidcHarness;
  let keys: Keys;
  /** Values no response may contain, with a label for the report. */
  const forbidden = new Map<string, string>();
  /** Access tokens: allowed only in a 200 of the token endpoint. */
  const accessTokens = new Map<string, string>();
  let seeded: Map<string, string>;

  const forbid = (label: string, ...values: string[]) => {
    for (const v of values) {
      forbidden.set(v, label);
      rememberSecret(v);
    }
  };
  const redact = (text: string) => {
    let out = text;
    for (const secret of [...forbidden.keys(), ...accessTokens.keys()])
      out = out.split(secret).join('<secret>');
    return out.length > 600 ? `${out.slice(0, 600)}…` : out;
  };
  const leaks = (answer: Answer, accessTokenAllowed: boolean): string[] => {
    const text = `${answer.text}\n${JSON.stringify(answer.headers)}`;
    const found = [...forbidden].filter(([secret]) => text.includes(secret)).map(([, label]) => label);
    if (!accessTokenAllowed) {
      for (const [token, label] of accessTokens) if (text.includes(token)) found.push(label);
    }
    return found;
  };
  const conn = (iid: string, cid: string) =>
    `/v1/integrations/${encodeURIComponent(iid)}/connections/${encodeURIComponent(cid)}`;

  beforeAll(async () => {
    for (const kind of ['CS', 'RT', 'AT'] as const) forbid(`fuzzed ${kind} value`, ...bodySecrets[kind]);
    forbid(
      'master key',
      MASTER_KEY.toString('base64'),
      MASTER_KEY.toString('hex'),
      MASTER_KEY.toString('base64url'),
    );
    svc = await startTestRuntime({ env: { MASTER_KEY: MASTER_KEY.toString('base64') } });
    forbid('admin API key', svc.local.apiKey);
    forbid('webhook secret', svc.local.webhookSecret);
    oidc = await startOidcProvider({
      rotation: 'strict',
      redirectUri: `${svc.local.publicUrl}/v1/oauth/callback`,
    });
    const client = oidc.clients[0];
    if (client === undefined) throw new Error('no oidc client');
    forbid('client secret', client.secret);

    // Keys as `npm run keys -- create` makes them: a tokens:read key, and a revoked admin key.
    const keyStore = new DynamoApiKeyStore(svc.local.dynamo, svc.local.tableName, systemClock);
    const reader = await keyStore.create({ name: 'fuzz-reader', scopes: ['tokens:read'] });
    const revoked = await keyStore.create({ name: 'fuzz-revoked', scopes: ['admin'] });
    await keyStore.revoke(revoked.record.key_id);
    forbid('tokens:read API key', reader.key);
    forbid('revoked API key', revoked.key);
    keys = { admin: svc.local.apiKey, reader: reader.key, revoked: revoked.key };
    for (const key of Object.values(keys)) {
      forbidden.set(apiKeySha256(key).toString('hex'), 'stored API key digest');
    }

    // The seeded state, through the API itself.
    const integration = await svc.api.put(`/v1/integrations/${INTEGRATION}`, {
      provider: 'custom',
      client_id: client.id,
      client_secret: client.secret,
      token_url: oidc.tokenUrl,
      authorization_url: oidc.authorizationUrl,
      scopes: ['openid', 'offline_access'],
      authorization_params: { prompt: 'consent' },
      client_auth: 'client_secret_basic',
      rotates_refresh_token: true,
      reuse_grace_seconds: 0,
      refresh: { margin_seconds: 900, keepalive_seconds: 86_400, mode: 'proactive' },
    });
    expect(integration.status).toBe(201);
    const googleSecret = `GOCSPX-${randomBytes(18).toString('base64url')}`;
    forbid('client secret', googleSecret);
    const google = await svc.api.put(`/v1/integrations/${CATALOGUE_INTEGRATION}`, {
      provider: 'google',
      client_id: '1234567890-fuzz.apps.googleusercontent.com',
      client_secret: googleSecret,
    });
    expect(google.status).toBe(201);

    const refreshTokens: string[] = [];
    for (const [i, cid] of CONNECTIONS.entries()) {
      const refreshToken = await oidc.mintRefreshToken({ clientId: client.id });
      const accessToken = `at-${i}-${randomBytes(16).toString('base64url')}`;
      forbid('refresh token', refreshToken);
      accessTokens.set(accessToken, 'access token');
      rememberSecret(accessToken);
      refreshTokens.push(refreshToken);
      const res = await svc.api.put<ConnectionView>(conn(INTEGRATION, cid), {
        access_token: accessToken,
        refresh_token: refreshToken,
        // Fresh for a month: a valid token read (min_validity_seconds ≤ 86400) never refreshes.
        expires_in: 30 * 86_400,
        token_type: 'Bearer',
        scope: 'openid offline_access',
        raw: { id_token_present: false },
        metadata: { customer: `customer-${i}`, plan: i === 0 ? 'pro' : 'free' },
      });
      expect(res.status).toBe(201);
    }
    // The provider revokes the last grant; a refresh finds out and parks it in needs_reauth.
    await oidc.revokeGrant(refreshTokens[2] ?? '');
    const refreshed = await svc.api.post(`${conn(INTEGRATION, REVOKED_CONNECTION)}/refresh`);
    expect(refreshed.status).toBe(424);
    const parked = await svc.api.get<ConnectionView>(conn(INTEGRATION, REVOKED_CONNECTION));
    expect(parked.body.status).toBe('needs_reauth');

    // Wait until nothing changes any more (outbox publishing), then keep the snapshot.
    let previous = await snapshot(svc);
    for (let i = 0; ; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const next = await snapshot(svc);
      const diff = difference(previous, next);
      previous = next;
      if (diff.added.length + diff.removed.length + diff.changed.length === 0) break;
      if (i > 30) throw new Error('the seeded table never settled');
    }
    seeded = previous;
    // 2 integrations, 3 connections, 2 API keys (the admin key is the bootstrap digest, not an item).
    expect([...seeded.keys()].filter((k) => k.startsWith('I#'))).toHaveLength(5);
    expect([...seeded.keys()].filter((k) => k.startsWith('KEYS|'))).toHaveLength(2);
  }, 60_000);

  afterAll(async () => {
    await svc?.stop();
    await oidc?.close();
  });

  it('every route: status < 500, the envelope, dry-run-exact rejections, no leak, no change', async () => {
    const principals = new Map<string, Principal>([
      [keys.admin, { kind: 'api_key', id: 'admin', scopes: ['admin'] }],
      [keys.reader, { kind: 'api_key', id: 'reader', scopes: ['tokens:read'] }],
    ]);
    interface Reached {
      readonly op: string;
      readonly params: Record<string, string> | undefined;
      readonly query: Record<string, unknown> | undefined;
      readonly body: Record<string, unknown> | undefined;
    }
    let reached: Reached | undefined;
    const dryRun = createRouter<ApiDeps>({
      routes: routes.map((r) => ({
        ...r,
        handle: async (input) => {
          reached = { op: r.operationId, params: input.params, query: input.query, body: input.body };
          return { status: 299 };
        },
      })),
      deps: undefined as unknown as ApiDeps,
      authenticate: async (key) => principals.get(key) ?? null,
      logger: silentLogger,
    });

    const isSeededConnection = (p: Record<string, string> | undefined) =>
      p?.integration_id === INTEGRATION && SEEDED_CONNECTIONS.has(p.connection_id ?? '');
    /** The statuses a request that reaches a handler may get, or null when it must not be sent. */
    const allowedWhenReached = (r: Reached): readonly number[] | 'any' | null => {
      const iid = r.params?.integration_id ?? '';
      switch (r.op) {
        case 'getHealth':
        case 'getOpenApiDocument':
        case 'listIntegrations':
        case 'listConnections':
          return [200, 400]; // 400: a cursor that is not one of ours
        case 'getIntegration':
        case 'getConnection':
          return [200, 404];
        case 'oauthCallback':
          return [400]; // no session exists: invalid_state
        case 'putConnection':
        case 'deleteIntegration':
          return SEEDED_INTEGRATIONS.has(iid) ? null : [404];
        case 'deleteConnection':
        case 'refreshConnection':
          return isSeededConnection(r.params) ? null : [404];
        case 'getToken':
          if (!isSeededConnection(r.params)) return [404];
          return r.query?.force_refresh === 'false' ? [200, 424] : null;
        case 'createConnectSession':
          return SEEDED_INTEGRATIONS.has(String(r.body?.integration_id)) ? null : [400, 404];
        default:
          // putIntegration, and any route added later that is not classified here.
          return r.op.startsWith('get') || r.op.startsWith('list') ? 'any' : null;
      }
    };

    const tally = { sent: 0, skipped: 0, reached: 0, byStatus: new Map<number, number>() };
    const perOp = new Map<string, number>();
    const byOp = new Map(routes.map((r) => [r.operationId, r]));

    await fc.assert(
      fc.asyncProperty(
        // Routes with a body have the most to refuse (413, 415, malformed JSON, every field): thrice the share.
        fc.oneof(...routes.map((r) => ({ weight: routeWeight(r), arbitrary: caseArb(r) }))),
        async (c) => {
          const headers: Record<string, string | string[]> = {};
          const auth = authHeaders(c.auth, keys);
          if (auth.length === 1) headers.authorization = auth[0] ?? '';
          else if (auth.length > 1) headers.authorization = auth;
          if (c.contentType !== null) headers['content-type'] = c.contentType;
          const body = bodyBytes(c.body);
          const target = c.query === '' ? c.path : `${c.path}?${c.query}`;

          reached = undefined;
          const predicted = await dryRun(asRouterRequest(c.method, c.path, c.query, headers, body));
          // Set by the stub handler (TypeScript cannot see the assignment through the closure).
          const hit = reached as Reached | undefined;
          const allowed = hit === undefined ? undefined : allowedWhenReached(hit);
          if (allowed === null) {
            tally.skipped++;
            fc.pre(false);
          }

          const answer = await send(svc.local.url, c.method, target, headers, body);
          tally.sent++;
          tally.byStatus.set(answer.status, (tally.byStatus.get(answer.status) ?? 0) + 1);
          perOp.set(c.op, (perOp.get(c.op) ?? 0) + 1);
          const op = hit?.op;
          const where = `${c.method} ${c.path}${c.query === '' ? '' : `?${c.query}`}`.slice(0, 300);
          const fail = (why: string) =>
            new Error(`${why}: ${where} (${op ?? 'no handler'}) → ${answer.status} ${redact(answer.text)}`);

          if (answer.status >= 500) throw fail('5xx');
          const leaked = leaks(answer, op === 'getToken' && answer.status === 200);
          if (leaked.length > 0) throw fail(`leaked ${[...new Set(leaked)].join(', ')}`);

          if (hit === undefined) {
            // Refused before any handler: exactly what the router decided, envelope and all.
            const want = (jsonOf(predicted.body) as { error?: { code?: string } } | undefined)?.error?.code;
            if (answer.status !== predicted.status) throw fail(`expected ${predicted.status}`);
            const got = envelopeOf(answer);
            if (got === undefined) throw fail('not the error envelope');
            if (got.error.code !== want) throw fail(`expected code ${want}`);
            return;
          }
          tally.reached++;
          if (allowed !== 'any' && allowed !== undefined && !allowed.includes(answer.status)) {
            throw fail(`expected one of ${allowed.join(', ')}`);
          }
          // HTML pages, redirects and assets, checked in their own tests.
          if (op === 'oauthCallback' || op?.startsWith('getConsole') === true) return;
          if (answer.status >= 300) {
            if (envelopeOf(answer) === undefined) throw fail('not the error envelope');
            return;
          }
          const schema = op === undefined ? undefined : byOp.get(op)?.responses[answer.status]?.schema;
          if (schema !== undefined && !schema.safeParse(jsonOf(answer.text)).success) {
            throw fail('response does not match its schema');
          }
        },
      ),
      { numRuns: MAIN_RUNS, maxSkipsPerRun: 1_000, examples: EXAMPLES.map((e) => [e]) },
    );

    console.info(
      `api fuzz: ${tally.sent} requests (${tally.reached} reached a handler, ${tally.skipped} valid mutations skipped); ` +
        `statuses ${JSON.stringify(Object.fromEntries([...tally.byStatus].sort(([a], [b]) => a - b)))}; ` +
        `per route ${JSON.stringify(Object.fromEntries(perOp))}`,
    );
    // The fuzz did cover something: every route, and every rejection the router can make.
    for (const r of routes) expect(perOp.get(r.operationId) ?? 0, r.operationId).toBeGreaterThan(5);
    for (const status of [400, 401, 403, 404, 413, 415]) {
      expect(tally.byStatus.get(status) ?? 0, String(status)).toBeGreaterThan(0);
    }
    expect(tally.reached).toBeGreaterThan(20);

    expect(difference(seeded, await snapshot(svc))).toEqual({ added: [], removed: [], changed: [] });
  });

  it('bodies beyond the HTTP layer limit (1 MiB) are 413 with the envelope, and change nothing', async () => {
    const body = Buffer.from(`{"access_token":"${'x'.repeat(1_100_000)}"}`);
    const answer = await send(
      svc.local.url,
      'PUT',
      conn(INTEGRATION, 'user-42'),
      { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' },
      body,
    );
    expect(answer.status).toBe(413);
    expect(envelopeOf(answer)?.error.code).toBe('payload_too_large');
    expect(difference(seeded, await snapshot(svc))).toEqual({ added: [], removed: [], changed: [] });
  });

  it('GET /v1/oauth/callback with random code/state/error: never 5xx, no secret, no code, no markup', async () => {
    // Real, open sessions for the seeded connections (one new connection too), half with a redirect_uri.
    const states: string[] = [];
    const redirects = new Map<string, string | undefined>();
    for (const cid of [...CONNECTIONS, 'fresh-user']) {
      for (const redirectUri of [undefined, `https://app.example/connected?from=${cid.length}`]) {
        const res = await svc.api.post<{ state: string; authorization_url: string }>('/v1/connect-sessions', {
          body: {
            integration_id: INTEGRATION,
            connection_id: cid,
            ...(redirectUri === undefined ? {} : { redirect_uri: redirectUri }),
          },
        });
        expect(res.status).toBe(201);
        states.push(res.body.state);
        redirects.set(res.body.state, redirectUri);
      }
    }
    const before = await snapshot(svc);
    expect(difference(seeded, before).added).toHaveLength(states.length); // the sessions, nothing else

    const marker = () => fc.stringMatching(/^[A-Za-z0-9]{16,40}$/).map((s) => `code-${s}`);
    const paramArb = (name: string, values: fc.Arbitrary<string>) =>
      fc.option(
        values.map((v) => `${name}=${encodeURIComponent(v)}`),
        { nil: undefined, freq: 3 },
      );
    const stateArb = fc.oneof(
      { weight: 3, arbitrary: fc.nat(states.length - 1).map((i) => ({ real: i, tweak: 0 })) },
      { weight: 1, arbitrary: fc.nat(states.length - 1).map((i) => ({ real: i, tweak: 1 })) },
      { weight: 1, arbitrary: fc.nat(states.length - 1).map((i) => ({ real: i, tweak: 2 })) },
      {
        weight: 2,
        arbitrary: fc
          .oneof(fc.string({ maxLength: 60 }), fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), fc.constant(''))
          .map((raw) => ({ raw })),
      },
    );
    const errorValues = fc.oneof(
      fc.constantFrom(
        'access_denied',
        'invalid_scope',
        'server_error',
        'temporarily_unavailable',
        '<script>alert(1)</script>',
        '"><img src=x onerror=alert(1)>',
        'x'.repeat(100),
        'a\r\nLocation: https://evil.example',
      ),
      fc.string({ maxLength: 80 }),
    );
    const callbackArb = fc.record({
      state: fc.option(stateArb, { nil: undefined, freq: 8 }),
      code: fc.option(
        fc.oneof(marker(), fc.constant(''), fc.constant('c'.repeat(5_000)), fc.string({ maxLength: 40 })),
        { nil: undefined, freq: 5 },
      ),
      error: paramArb('error', errorValues),
      errorDescription: paramArb('error_description', fc.string({ maxLength: 200 })),
      iss: paramArb('iss', fc.constantFrom(oidc.issuer, 'https://evil.example', '')),
      repeatState: fc.boolean(),
      extra: fc.option(fc.constantFrom('x=1', 'state', 'code', '%', 'redirect_uri=https://evil.example'), {
        nil: undefined,
      }),
    });

    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(callbackArb, async (c) => {
        let state: string | undefined;
        if (c.state !== undefined) {
          if ('raw' in c.state) state = c.state.raw;
          else {
            const real = states[c.state.real] ?? '';
            state = c.state.tweak === 0 ? real : c.state.tweak === 1 ? `${real}A` : real.slice(0, -1);
          }
        }
        const parts = [
          state === undefined ? undefined : `state=${encodeURIComponent(state)}`,
          c.repeatState && state !== undefined ? `state=${encodeURIComponent(state)}x` : undefined,
          c.code === undefined ? undefined : `code=${encodeURIComponent(c.code)}`,
          c.error,
          c.errorDescription,
          c.iss,
          c.extra,
        ].filter((p) => p !== undefined);
        const answer = await send(
          svc.local.url,
          'GET',
          `/v1/oauth/callback?${parts.join('&')}`,
          {},
          undefined,
        );
        seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
        const fail = (why: string) => new Error(`${why}: callback → ${answer.status} ${redact(answer.text)}`);

        if (answer.status >= 500) throw fail('5xx');
        if (![200, 302, 400].includes(answer.status)) throw fail('unexpected status');
        const leaked = leaks(answer, false);
        if (leaked.length > 0) throw fail(`leaked ${[...new Set(leaked)].join(', ')}`);
        const everything = `${answer.text}\n${JSON.stringify(answer.headers)}`;
        const code = c.code ?? '';
        if (code.startsWith('code-') && everything.includes(code)) {
          throw fail('the authorization code was echoed');
        }
        if (answer.status === 302) {
          const location = new URL(String(answer.headers.location));
          const expected = [...redirects.values()].filter((r) => r !== undefined).map((r) => new URL(r));
          if (!expected.some((u) => u.origin === location.origin && u.pathname === location.pathname)) {
            throw fail('redirected somewhere else');
          }
          const error = location.searchParams.get('error');
          if (error !== null && !/^[A-Za-z0-9_.-]{1,64}$/.test(error))
            throw fail('unsanitized error forwarded');
        } else {
          expect(answer.headers['content-type']).toMatch(/^text\/html/);
          if (/<script|<img|onerror=/i.test(answer.text)) throw fail('markup from the request in the page');
        }
      }),
      { numRuns: CALLBACK_RUNS },
    );
    expect(seen.get(400) ?? 0).toBeGreaterThan(0);
    expect((seen.get(302) ?? 0) + (seen.get(200) ?? 0) + (seen.get(400) ?? 0)).toBe(CALLBACK_RUNS);

    // Sessions were consumed (single use), nothing else changed: the seeded items are byte-equal.
    const after = await snapshot(svc);
    const diff = difference(before, after);
    expect(diff.added).toEqual([]);
    expect(diff.changed).toEqual([]);
    expect(diff.removed.every((k) => k.startsWith('S#'))).toBe(true);
    const notSessions = (m: Map<string, string>) => new Map([...m].filter(([k]) => !k.startsWith('S#')));
    expect(difference(seeded, notSessions(after))).toEqual({ added: [], removed: [], changed: [] });
  });

  it('valid but extreme writes to scratch ids never 5xx, round-trip, and never echo a secret', async () => {
    // Valid mutations are kept out of the no-change fuzz above; their own properties are "no 5xx"
    // and "what was accepted reads back as sent".
    const scratch = 'fuzz-scratch';
    const client = oidc.clients[0] ?? { id: '', secret: '' };
    const created = await svc.api.put(`/v1/integrations/${scratch}`, {
      provider: 'custom',
      client_id: client.id,
      client_secret: client.secret,
      token_url: oidc.tokenUrl,
    });
    expect(created.status).toBe(201);

    const trickyKey = fc.constantFrom(
      'constructor',
      '__proto__',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'name',
    );
    const key = fc.oneof(trickyKey, fc.string({ minLength: 1, maxLength: 128 }));
    const number = fc.oneof(
      fc.constantFrom(1e21, 2 ** 53 + 2, 2 ** 53 - 1, -(2 ** 53 - 1), 1e-200, 1e-7, -0, 0.1, 1e300),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
    );
    const leaf = fc.oneof(fc.string({ maxLength: 20 }), number, fc.boolean(), fc.constant(null));
    const jsonish = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 3 }),
      object: fc.dictionary(key, tie('value'), { maxKeys: 3 }),
    })).value;
    const trickyObjects = fc.constantFrom<Record<string, unknown>>(
      { constructor: 1 },
      { constructor: { name: 'Set' } },
      { a: { constructor: { name: 'String' } } },
      { a: { constructor: { name: 'Map' } } },
      { a: { constructor: { name: 'Number' } } },
      { a: { constructor: { name: 'Boolean' } } },
      { toString: 'x', valueOf: 1, hasOwnProperty: true },
      { a: '__DEEP_14_o__' },
      { a: '__DEEP_15_o__' },
      { a: '__DEEP_16_o__' },
    );
    const metadataArb = fc.oneof(trickyObjects, fc.dictionary(key, jsonish, { maxKeys: 8 }));
    const rawArb = fc.oneof(
      fc.constantFrom<Record<string, unknown>>(
        { a: '__DEEP_31_o__' },
        { a: '__DEEP_62_a__' },
        { a: '__DEEP_63_a__' },
        { a: '__DEEP_2000_a__' },
        { a: '__DEEP_30000_a__' },
        { n: 1e21 },
        { constructor: { name: 'Set' } },
      ),
      fc.dictionary(key, jsonish, { maxKeys: 8 }),
    );
    const connectionBody = fc.record(
      {
        access_token: fc.constantFrom('$AT0', '__PAD_16384__'),
        refresh_token: fc.constantFrom('$RT0', null, '$RT0__PAD_16000__'),
        expires_in: fc.oneof(fc.constantFrom(0, 1, 315_360_000), fc.nat(315_360_000)),
        expires_at: fc.constantFrom(
          '1970-01-01T00:00:00Z',
          '0001-01-01T00:00:00Z',
          '9999-12-31T23:59:59Z',
          '2026-11-25T12:00:00+14:00',
          '2026-11-25T12:00:00.123456789Z',
        ),
        token_type: fc.constantFrom('Bearer', '__PAD_64__', 'DPoP'),
        scope: fc.constantFrom('', 'openid', '__PAD_4096__'),
        raw: rawArb,
        metadata: metadataArb,
      },
      { requiredKeys: ['access_token'] },
    );
    const integrationBody = fc.record(
      {
        authorization_params: fc.dictionary(key, fc.string({ maxLength: 20 }), { maxKeys: 5 }),
        refresh_params: fc.dictionary(key, fc.string({ maxLength: 20 }), { maxKeys: 5 }),
        url_params: fc.dictionary(key, fc.string({ maxLength: 20 }), { maxKeys: 5 }),
        scopes: fc.array(fc.oneof(trickyKey, fc.string({ minLength: 1, maxLength: 20 })), { maxLength: 5 }),
        reuse_grace_seconds: fc.constantFrom(null, 0, 31_536_000),
        rotates_refresh_token: fc.boolean(),
      },
      { requiredKeys: [] },
    );

    const admin = { authorization: `Bearer ${keys.admin}`, 'content-type': 'application/json' };
    const statuses = new Map<number, number>();
    /** A PUT, then a GET of the same resource: neither may be 5xx; what was accepted reads back as sent. */
    const putAndRead = async (path: string, value: Record<string, unknown>, compare: string[]) => {
      const body = bodyBytes({ kind: 'json', value }) ?? Buffer.alloc(0);
      const answer = await send(svc.local.url, 'PUT', path, admin, body);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const fail = (why: string, a: Answer = answer) =>
        new Error(`${why}: PUT ${path} → ${a.status} ${redact(a.text)}`);
      if (answer.status >= 500) throw fail('5xx');
      const leaked = leaks(answer, false);
      if (leaked.length > 0) throw fail(`leaked ${[...new Set(leaked)].join(', ')}`);
      if (answer.status >= 300) {
        if (envelopeOf(answer) === undefined) throw fail('not the error envelope');
        return;
      }
      const read = await send(svc.local.url, 'GET', path, admin, undefined);
      if (read.status !== 200) throw fail('reading back', read);
      const sent = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      const got = JSON.parse(read.text) as Record<string, unknown>;
      for (const field of compare.filter((f) => f in sent)) {
        // zod drops `__proto__` members; everything else must come back exactly.
        const want = JSON.parse(
          JSON.stringify(sent[field] ?? {}, (k, v) => (k === '__proto__' ? undefined : v)),
        );
        if (!isDeepStrictEqual(got[field] ?? {}, want)) {
          throw fail(`${field} did not round-trip`, read);
        }
      }
    };

    await fc.assert(
      fc.asyncProperty(connectionBody, fc.nat(5), async (value, n) => {
        if ('expires_in' in value && 'expires_at' in value)
          delete (value as Record<string, unknown>).expires_at;
        await putAndRead(conn(scratch, `c-${n}`), value, ['metadata']);
      }),
      { numRuns: SCRATCH_RUNS },
    );
    await fc.assert(
      fc.asyncProperty(integrationBody, fc.nat(2), async (extra, n) => {
        const value = {
          provider: 'custom',
          client_id: 'scratch',
          token_url: 'https://provider.example/t',
          ...extra,
        };
        await putAndRead(`/v1/integrations/${scratch}-${n}`, value, [
          'authorization_params',
          'refresh_params',
        ]);
      }),
      { numRuns: SCRATCH_RUNS / 2 },
    );
    expect((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0)).toBeGreaterThan(0);
    const listed = [
      await svc.api.get(`/v1/connections?integration_id=${scratch}&limit=500`),
      await svc.api.get('/v1/integrations'),
    ];
    for (const res of listed) {
      expect(res.status).toBe(200);
      expect(leaks({ status: res.status, headers: {}, text: res.text }, false)).toEqual([]);
    }
  });

  it('the OpenAPI document contains no secret', async () => {
    for (const key of [keys.admin, keys.reader]) {
      const res = await svc.api.get('/v1/openapi.json', { key });
      expect(res.status).toBe(200);
      expect(
        leaks({ status: res.status, headers: Object.fromEntries(res.headers), text: res.text }, false),
      ).toEqual([]);
    }
    // And nothing any helper request of this file received either.
    expect(svc.api.leaked(forbidden.keys())).toEqual([]);
  });
});
