/**
 * Nango's connection export → lines for `npm run ops -- import`.
 *
 * Nango returns a connection with its credentials from `GET /connections/{connectionId}?
 * provider_config_key=…&refresh_token=true` (and the deprecated `GET /connection/{connectionId}`):
 * `connection_id`, `provider_config_key`, `provider`, `metadata`, `connection_config` and
 * `credentials`, which for OAuth 2 is `{type: 'OAUTH2', access_token, refresh_token?, expires_at?,
 * raw}` (`raw` is the provider's token response). Only OAuth 2 grants move: other credential types
 * (API keys, basic auth, OAuth 1, client credentials, GitHub App installations) are not refresh
 * grants and are rejected with the reason. A token that never expires may come without a refresh
 * token (imported as such); an expiring one without it is refused unless allowed explicitly.
 */
import * as z from 'zod';
import { ID_PATTERN } from '../domain/ids';
import { type ImportLine, importLineSchema } from './import-line';

/** A Nango OAuth 2 credentials object. Unknown fields are ignored: Nango adds fields over time. */
const nangoOAuth2CredentialsSchema = z.object({
  type: z.literal('OAUTH2'),
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).nullish(),
  // Nango serializes a Date: an ISO string (a number of epoch ms is accepted too).
  expires_at: z.union([z.string(), z.number()]).nullish(),
  raw: z.record(z.string(), z.unknown()).nullish(),
});

/** A Nango connection object as its API returns it (the fields this importer reads). */
export const nangoConnectionSchema = z.object({
  connection_id: z.string().min(1),
  provider_config_key: z.string().min(1),
  provider: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  connection_config: z.record(z.string(), z.unknown()).nullish(),
  credentials: z.looseObject({ type: z.string() }),
});
export type NangoConnection = z.output<typeof nangoConnectionSchema>;

/** Nango keeps URL placeholders in `connection_config`; here they are metadata keys of the same name. */
const PLACEHOLDER_KEYS = ['subdomain', 'shop', 'tenant', 'instance'] as const;
/** Token-response fields stored beside `raw` anyway: not kept twice. */
const RAW_DROPPED = new Set(['access_token', 'refresh_token']);

export type NangoConversion =
  | { readonly ok: true; readonly line: ImportLine }
  | {
      readonly ok: false;
      /** As exported (for the operator to find it in Nango), or null when unreadable. */
      readonly connectionId: string | null;
      readonly providerConfigKey: string | null;
      readonly reason: string;
    };

export interface NangoConvertOptions {
  /** `provider_config_key` → this service's `integration_id`. */
  readonly integrations: ReadonlyMap<string, string>;
  /** Import expiring tokens that come without a refresh token (never refreshed here). @default false */
  readonly allowMissingRefreshToken?: boolean;
}

/**
 * Converts one exported Nango connection into an import line. Never puts a credential into a
 * `reason`.
 */
export function convertNangoConnection(value: unknown, options: NangoConvertOptions): NangoConversion {
  const parsed = nangoConnectionSchema.safeParse(value);
  const ids = idsOf(value);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    return { ok: false, ...ids, reason: `not a Nango connection object (${where.join('; ')})` };
  }
  const connection = parsed.data;
  const { connection_id: connectionId, provider_config_key: providerConfigKey } = connection;
  const fail = (reason: string): NangoConversion => ({ ok: false, connectionId, providerConfigKey, reason });

  const integrationId = options.integrations.get(providerConfigKey);
  if (integrationId === undefined)
    return fail(
      `no integration mapped for provider_config_key ${providerConfigKey} (add --map ${providerConfigKey}=<integration_id>)`,
    );
  if (!ID_PATTERN.test(connectionId))
    return fail(
      'connection_id does not match ^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$ (rename it in Nango or import it by hand)',
    );
  if (connection.credentials.type !== 'OAUTH2')
    return fail(`credentials of type ${connection.credentials.type} are not an OAuth 2 refresh grant`);
  const credentials = nangoOAuth2CredentialsSchema.safeParse(connection.credentials);
  if (!credentials.success) {
    const paths = credentials.error.issues.map(
      (i) => `credentials.${i.path.map(String).join('.')}: ${i.message}`,
    );
    return fail(`unusable OAuth 2 credentials (${paths.join('; ')})`);
  }
  const c = credentials.data;
  const expiresAt = isoOf(c.expires_at);
  if (expiresAt === 'invalid') return fail('credentials.expires_at is not a date');
  const refreshToken = c.refresh_token ?? null;
  // Nango strips refresh tokens from its answer unless asked (`refresh_token=true`): an expiring
  // token without one is far more often a bad export than a grant that cannot be refreshed.
  if (refreshToken === null && expiresAt !== null && options.allowMissingRefreshToken !== true)
    return fail(
      'an expiring token without a refresh token: export with ?refresh_token=true (or pass --allow-missing-refresh-token to import it as a grant that ends when the token expires)',
    );

  const raw = Object.fromEntries(Object.entries(c.raw ?? {}).filter(([k]) => !RAW_DROPPED.has(k)));
  const metadata: Record<string, unknown> = { ...(connection.metadata ?? {}) };
  for (const key of PLACEHOLDER_KEYS) {
    const v = connection.connection_config?.[key];
    if (typeof v === 'string' && metadata[key] === undefined) metadata[key] = v;
  }
  const candidate = {
    integration_id: integrationId,
    connection_id: connectionId,
    access_token: c.access_token,
    ...(refreshToken === null ? {} : { refresh_token: refreshToken }),
    ...(expiresAt === null ? {} : { expires_at: expiresAt }),
    ...(typeof raw.token_type === 'string' && raw.token_type !== '' ? { token_type: raw.token_type } : {}),
    ...scopeOf(raw.scope),
    raw,
    ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
  };
  // The same checks the service makes (sizes, metadata limits), so a line that converts imports.
  const line = importLineSchema.safeParse(candidate);
  if (!line.success) {
    const paths = line.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`);
    return fail(`would not import (${paths.join('; ')})`);
  }
  return { ok: true, line: line.data };
}

/**
 * The connection objects of an export file: a JSON array, one object (a single `GET` answer), an
 * object with a `connections` array, or NDJSON (one object a line).
 * @throws NangoExportError `invalid_export` when the text is none of these.
 */
export function readNangoExport(text: string): unknown[] {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') return [];
  try {
    const whole: unknown = JSON.parse(trimmed);
    if (Array.isArray(whole)) return whole;
    if (
      typeof whole === 'object' &&
      whole !== null &&
      Array.isArray((whole as { connections?: unknown }).connections)
    ) {
      const list = (whole as { connections: unknown[] }).connections;
      if (list.some((c) => typeof c === 'object' && c !== null && !('credentials' in c)))
        throw new NangoExportError(
          'this is the output of Nango’s connection list, which carries no credentials: export each connection with GET /connections/{connectionId}?provider_config_key=…&refresh_token=true',
        );
      return list;
    }
    return [whole];
  } catch (error) {
    if (error instanceof NangoExportError) throw error;
  }
  return trimmed.split(/\r?\n/).flatMap((line, index) => {
    if (line.trim() === '') return [];
    try {
      return [JSON.parse(line) as unknown];
    } catch {
      throw new NangoExportError(
        `line ${index + 1} is not JSON: the export must be a JSON array, one object, or NDJSON`,
      );
    }
  });
}

export class NangoExportError extends Error {
  readonly code = 'invalid_export';
  override readonly name = 'NangoExportError';
}

function idsOf(value: unknown): { connectionId: string | null; providerConfigKey: string | null } {
  const o = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 256) : null);
  return { connectionId: str(o.connection_id), providerConfigKey: str(o.provider_config_key) };
}

function isoOf(value: string | number | null | undefined): string | null | 'invalid' {
  if (value === null || value === undefined || value === '') return null;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : 'invalid';
}

function scopeOf(scope: unknown): { scope?: string } {
  if (typeof scope === 'string') return { scope };
  if (Array.isArray(scope) && scope.every((s) => typeof s === 'string')) return { scope: scope.join(' ') };
  return {};
}
