import { describe, expect, it } from 'vitest';
import { convertNangoConnection, NangoExportError, readNangoExport } from '../../../shared/migrate/nango';
import { rememberSecret } from '../../support/secrets';

const ACCESS = 'ya29.nango-access-token-0001';
const REFRESH = '1//nango-refresh-token-0001';
rememberSecret(ACCESS, REFRESH);

/** A connection as Nango's GET /connections/{connectionId}?provider_config_key=…&refresh_token=true returns it. */
const nangoConnection = (
  overrides: Record<string, unknown> = {},
  credentials: Record<string, unknown> = {},
) => ({
  id: 42,
  connection_id: 'user-42',
  provider_config_key: 'google-calendar',
  provider: 'google-calendar',
  errors: [],
  end_user: null,
  metadata: { customer: 'acme' },
  connection_config: { subdomain: 'acme' },
  tags: {},
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-11-30T10:00:00.000Z',
  last_fetched_at: '2026-11-30T10:00:00.000Z',
  credentials: {
    type: 'OAUTH2',
    access_token: ACCESS,
    refresh_token: REFRESH,
    expires_at: '2026-11-30T11:00:00.000Z',
    raw: {
      access_token: ACCESS,
      refresh_token: REFRESH,
      expires_in: 3599,
      scope: 'openid https://www.googleapis.com/auth/calendar.readonly',
      token_type: 'Bearer',
      id_token: 'eyJ.id.token',
    },
    ...credentials,
  },
  ...overrides,
});
const integrations = new Map([['google-calendar', 'google-prod']]);

describe('convertNangoConnection', () => {
  it('maps an OAuth 2 connection to an import line for the mapped integration', () => {
    const result = convertNangoConnection(nangoConnection(), { integrations });
    expect(result).toEqual({
      ok: true,
      line: {
        integration_id: 'google-prod',
        connection_id: 'user-42',
        access_token: ACCESS,
        refresh_token: REFRESH,
        expires_at: '2026-11-30T11:00:00.000Z',
        token_type: 'Bearer',
        scope: 'openid https://www.googleapis.com/auth/calendar.readonly',
        raw: {
          expires_in: 3599,
          scope: 'openid https://www.googleapis.com/auth/calendar.readonly',
          token_type: 'Bearer',
          id_token: 'eyJ.id.token',
        },
        metadata: { customer: 'acme', subdomain: 'acme' },
      },
    });
  });

  it('refuses what it cannot move, with a reason that never holds a credential', () => {
    const cases: Array<[unknown, RegExp]> = [
      [
        nangoConnection({ provider_config_key: 'slack' }),
        /no integration mapped for provider_config_key slack/,
      ],
      [nangoConnection({ connection_id: 'has a space' }), /connection_id does not match/],
      [
        nangoConnection({ credentials: { type: 'API_KEY', apiKey: ACCESS } }),
        /API_KEY are not an OAuth 2 refresh grant/,
      ],
      [nangoConnection({}, { refresh_token: undefined }), /export with \?refresh_token=true/],
      [nangoConnection({}, { expires_at: 'soon' }), /expires_at is not a date/],
      [nangoConnection({ metadata: { big: 'x'.repeat(5_000) } }), /would not import \(metadata/],
      [{ connections: 'nope' }, /not a Nango connection object/],
    ];
    for (const [input, reason] of cases) {
      const result = convertNangoConnection(input, { integrations });
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.reason).toMatch(reason);
      expect(result.reason).not.toContain(ACCESS);
      expect(result.reason).not.toContain(REFRESH);
    }
  });

  it('imports a token that never expires without a refresh token, and an expiring one only when allowed', () => {
    const never = convertNangoConnection(
      nangoConnection({}, { refresh_token: undefined, expires_at: undefined }),
      {
        integrations,
      },
    );
    expect(never.ok && never.line.refresh_token).toBeUndefined();
    expect(never.ok && never.line.expires_at).toBeUndefined();
    const allowed = convertNangoConnection(nangoConnection({}, { refresh_token: undefined }), {
      integrations,
      allowMissingRefreshToken: true,
    });
    expect(allowed.ok).toBe(true);
  });
});

describe('readNangoExport', () => {
  const one = nangoConnection();
  it('reads a JSON array, one GET answer, NDJSON, and an object with a connections array', () => {
    expect(readNangoExport(JSON.stringify([one, one]))).toHaveLength(2);
    expect(readNangoExport(JSON.stringify(one))).toHaveLength(1);
    expect(readNangoExport(`${JSON.stringify(one)}\n\n${JSON.stringify(one)}\r\n`)).toHaveLength(2);
    expect(readNangoExport(`\uFEFF${JSON.stringify({ connections: [one] })}`)).toHaveLength(1);
    expect(readNangoExport('  ')).toEqual([]);
  });

  it('explains that the connection list carries no credentials, and rejects text that is not JSON', () => {
    const list = {
      connections: [{ id: 1, connection_id: 'a', provider_config_key: 'k', provider: 'p', created: 'x' }],
    };
    expect(() => readNangoExport(JSON.stringify(list))).toThrow(/carries no credentials/);
    expect(() => readNangoExport('{"a":1}\nnot json')).toThrow(NangoExportError);
  });
});
