/**
 * The HTTP side of `npm run ops`: the service's API (connections, history, integration retry) and
 * the local runtime's operator routes (`/local/ops/*`, infra/local/control.ts). Every answer is
 * checked with zod before anything is printed; fields the CLI does not print pass through.
 */
import * as z from 'zod';
import { OpsError } from './errors';

export interface ApiTarget {
  readonly url: string;
  readonly key: string;
  readonly fetch?: typeof globalThis.fetch;
}

const nullableString = z.string().nullable().optional();

export const lastErrorSchema = z.looseObject({
  code: z.string(),
  message: z.string(),
  provider_error: nullableString,
  provider_error_description: nullableString,
  at: nullableString,
});

export const connectionSchema = z.looseObject({
  integration_id: z.string(),
  connection_id: z.string(),
  provider: z.string(),
  status: z.string(),
  access_token_expires_at: nullableString,
  last_refresh_at: nullableString,
  next_refresh_at: nullableString,
  refresh_token_expires_at: nullableString,
  reauth_due_at: nullableString,
  account_id: nullableString,
  consecutive_failures: z.number(),
  last_error: lastErrorSchema.nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable().optional(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ConnectionView = z.output<typeof connectionSchema>;

export const connectionPageSchema = z.object({
  items: z.array(connectionSchema),
  next_cursor: z.string().nullable(),
});

export const historyItemSchema = z.looseObject({
  at: z.string(),
  kind: z.string(),
  trigger: z.string().optional(),
  outcome: z.string().optional(),
  error: lastErrorSchema.nullable().optional(),
  duration_ms: z.number().optional(),
  from: z.string().nullable().optional(),
  to: z.string().optional(),
  event_type: z.string().optional(),
  delivery: z.string().optional(),
  new_grant: z.boolean().optional(),
  day: z.string().optional(),
  count: z.number().optional(),
});
export type HistoryItem = z.output<typeof historyItemSchema>;
export const historyPageSchema = z.object({
  items: z.array(historyItemSchema),
  next_cursor: z.string().nullable(),
});

export const integrationRetrySchema = z.object({ retried: z.number().int(), complete: z.boolean() });

export const localScheduleSchema = z.object({
  state: z.enum(['ENABLED', 'DISABLED']),
  interval_seconds: z.number(),
  paused_at: z.string().nullable(),
  scheduled_runs: z.number().int(),
  manual_runs: z.number().int(),
  ticks_while_paused: z.number().int(),
  last_run_at: z.string().nullable(),
});
export type LocalSchedule = z.output<typeof localScheduleSchema>;

export const localDlqSchema = z.object({
  queues: z.array(
    z.object({
      name: z.string(),
      dlq: z.string(),
      source: z.string(),
      visible: z.number().int(),
      in_flight: z.number().int(),
      messages: z.array(
        z.object({
          message_id: z.string(),
          receive_count: z.number(),
          integration_id: z.string().nullable(),
          connection_id: z.string().nullable(),
          event_type: z.string().nullable(),
          event_id: z.string().nullable(),
          parseable: z.boolean(),
        }),
      ),
    }),
  ),
});
export type LocalDlq = z.output<typeof localDlqSchema>;

export const localRedriveSchema = z.object({
  queue: z.string(),
  moved: z.number().int(),
  failed: z.number().int(),
});

const errorEnvelope = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/**
 * One request; the answer parsed with `schema` (`undefined` for a 204).
 * @throws OpsError `unreachable`, `unauthorized`, `forbidden`, `not_found`, `api_error`, `invalid_answer`.
 */
export async function request<S extends z.ZodType>(
  target: ApiTarget,
  method: string,
  path: string,
  schema: S,
  query: Readonly<Record<string, string | number | undefined>> = {},
): Promise<z.output<S>> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const qs = params.size === 0 ? '' : `?${params}`;
  const url = `${target.url.replace(/\/+$/, '')}${path}${qs}`;
  let response: Response;
  try {
    response = await (target.fetch ?? globalThis.fetch)(url, {
      method,
      headers: { authorization: `Bearer ${target.key}`, accept: 'application/json' },
    });
  } catch (error) {
    throw new OpsError('unreachable', `no answer from ${target.url}: is the service running there?`, {
      cause: error,
    });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const envelope = errorEnvelope.safeParse(body);
    const said = envelope.success
      ? `${envelope.data.error.code}: ${envelope.data.error.message}`
      : text.slice(0, 200);
    const where = `${method} ${path} answered ${response.status}`;
    if (response.status === 401)
      throw new OpsError(
        'unauthorized',
        `${where}: the service refused the API key (pass --key or set OAUTH_REFRESHER_API_KEY)`,
      );
    if (response.status === 403) throw new OpsError('forbidden', `${where}: this command needs an admin key`);
    if (response.status === 404) throw new OpsError('not_found', `${where} (${said})`);
    throw new OpsError('api_error', `${where} (${said})`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new OpsError(
      'invalid_answer',
      `${method} ${path}: unexpected answer (${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ')})`,
    );
  return parsed.data;
}

/** A local operator route: a 404 there means the URL is no local runtime (a deployed API, say). */
export async function local<S extends z.ZodType>(
  target: ApiTarget,
  method: string,
  route: string,
  schema: S,
): Promise<z.output<S>> {
  try {
    return await request(target, method, `/local/ops/${route}`, schema);
  } catch (error) {
    if (error instanceof OpsError && error.code === 'not_found')
      throw new OpsError(
        'not_local',
        `${target.url} is not a local runtime (it has no /local/ops/ routes): for a deployed stack pass --stack NAME [--region REGION]`,
        { cause: error },
      );
    throw error;
  }
}

const id = (value: string) => encodeURIComponent(value);
export const paths = {
  connections: '/v1/connections',
  connection: (iid: string, cid: string) => `/v1/integrations/${id(iid)}/connections/${id(cid)}`,
  history: (iid: string, cid: string) => `/v1/integrations/${id(iid)}/connections/${id(cid)}/history`,
  integrationRetry: (iid: string) => `/v1/integrations/${id(iid)}/retry`,
};
