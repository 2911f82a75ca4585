import * as z from 'zod';
import type { Attempt } from '../../domain/attempt';
import { DEFAULT_REAUTH_LEAD_SECONDS } from '../../domain/integration';
import type { LastError } from '../../domain/refresh-failure';
import { decodeAttempts } from '../../history/ring';
import { isoTime } from '../../policy/limits';
import { DEFAULT_HISTORY_RETENTION_MS, type HistoryItem } from '../../ports/history';
import type { ApiDeps } from '../deps';
import { invalidRequest, notFound } from '../errors';
import { resolvedIntegrationOrNotFound } from '../integration-lookup';
import { type AnyRoute, type RouteDef, route } from '../route';
import { connectionParamsSchema, integrationParamsSchema } from '../schemas/common';
import {
  type HistoryItemView,
  historyPageSchema,
  historyQuerySchema,
  integrationHealthSchema,
} from '../schemas/history';
import { errorResponses } from '../schemas/responses';

const apiRoute = <P, Q, B>(def: RouteDef<ApiDeps, P, Q, B>) => route(def);
const DAY_MS = 86_400_000;
const pad = (ms: number): string => String(Math.max(0, Math.floor(ms))).padStart(15, '0');

/** An entry with its place in the newest-first order: (`at`, `tb`) descending. */
interface Entry {
  readonly at: number;
  readonly tb: string;
  readonly view: HistoryItemView;
}

const cursorSchema = z.object({ t: z.number().int().nonnegative(), b: z.string().max(256) }).strict();

/** api.md v1.1: a connection's history, and an integration's health. */
export const historyRoutes: readonly AnyRoute<ApiDeps>[] = [
  apiRoute({
    operationId: 'getConnectionHistory',
    summary: 'Recent attempts, transitions with their events, imports and token reads (newest first)',
    tags: ['connections'],
    method: 'GET',
    path: '/v1/integrations/{integration_id}/connections/{connection_id}/history',
    auth: 'tokens:read',
    params: connectionParamsSchema,
    query: historyQuerySchema,
    responses: {
      200: { description: 'One page of history', schema: historyPageSchema },
      ...errorResponses(404),
    },
    handle: async ({ deps, params, query }) => {
      const key = { integrationId: params.integration_id, connectionId: params.connection_id };
      const connection = await deps.store.get(key);
      if (connection === null) throw notFound(`connection ${params.integration_id}/${params.connection_id}`);
      const before = query.cursor === undefined ? null : decodeHistoryCursor(query.cursor);
      const now = deps.clock.now();
      const oldest = now - (deps.history?.retentionMs ?? DEFAULT_HISTORY_RETENTION_MS);
      const keep = (e: Entry) => e.at >= oldest && (before === null || less(e, before));

      // The ring's attempts are the newest; stored items are read newest first until a page is full.
      const candidates: Entry[] = decodeAttempts(connection.attemptRing).map((a, i) =>
        attemptEntry(a, `${pad(a.at)}#A~ring#${i}`),
      );
      const failures = new Set<number>();
      const reads = new Map<string, Entry>();
      let threshold = Number.NEGATIVE_INFINITY;
      if (deps.history !== undefined) {
        let beforeSk = before === null ? undefined : `${pad(before.t + 1)}`;
        for (let page = 0; page < 10; page++) {
          const out = await deps.history.page(key, Math.min(200, query.limit + 20), beforeSk);
          for (const item of out.items) {
            if (item.kind === 'F') failures.add(item.at);
            if (item.kind === 'R') {
              const entry = storedEntry(item);
              for (const e of entry) reads.set(e.view.day ?? '', e);
            } else candidates.push(...storedEntry(item));
          }
          const last = out.items.at(-1);
          if (!out.more || last === undefined) {
            threshold = Number.NEGATIVE_INFINITY;
            break;
          }
          threshold = last.at;
          beforeSk = last.sk;
          if (candidates.filter((e) => e.at >= threshold && keep(e)).length >= query.limit) break;
        }
      }
      // Reads counted in this process and not yet written (visible at once here, elsewhere within a minute).
      for (const { day, count } of deps.tokenReads?.unflushed(key) ?? []) {
        const current = reads.get(day);
        reads.set(
          day,
          current === undefined ? readsEntry(day, count) : readsEntry(day, (current.view.count ?? 0) + count),
        );
      }
      candidates.push(...reads.values());
      const entries = candidates
        // A failure recorded in full replaces its compact entry (same attempt, same second).
        .filter((e) => !(e.tb.includes('#A') && e.view.outcome === 'failed' && failures.has(e.at)))
        .filter((e) => keep(e) && e.at >= threshold)
        .sort((a, b) => (less(a, b) ? 1 : -1));
      const items = entries.slice(0, query.limit);
      const last = items.at(-1);
      const more = entries.length > query.limit || threshold !== Number.NEGATIVE_INFINITY;
      return {
        status: 200,
        body: {
          items: items.map((e) => e.view),
          next_cursor: more && last !== undefined ? encodeHistoryCursor(last) : null,
        },
      };
    },
  }),
  apiRoute({
    operationId: 'getIntegrationHealth',
    summary: 'Connections by status, failures by code over 24 h, next due time, refresh latency, reauth due',
    tags: ['integrations'],
    method: 'GET',
    path: '/v1/integrations/{integration_id}/health',
    auth: 'admin',
    params: integrationParamsSchema,
    responses: {
      200: { description: 'The integration’s health', schema: integrationHealthSchema },
      ...errorResponses(404),
    },
    handle: async ({ deps, params }) => {
      const integration = await resolvedIntegrationOrNotFound(deps, params.integration_id);
      const now = deps.clock.now();
      const lead = (integration.refresh.reauthLeadSeconds ?? DEFAULT_REAUTH_LEAD_SECONDS) * 1000;
      const [{ rows, truncated }, failures] = await Promise.all([
        deps.health.rows(params.integration_id),
        deps.history?.failureCounts(params.integration_id, now - DAY_MS) ?? Promise.resolve({}),
      ]);
      const connections = { active: 0, failing: 0, needs_reauth: 0 };
      let next: number | null = null;
      let reauthDue = 0;
      const latencies: number[] = [];
      for (const row of rows) {
        connections[row.status] += 1;
        if (row.nextRefreshAt !== null)
          next = next === null ? row.nextRefreshAt : Math.min(next, row.nextRefreshAt);
        if (row.status !== 'needs_reauth' && row.reauthDueAt !== null && row.reauthDueAt <= now + lead)
          reauthDue += 1;
        for (const a of decodeAttempts(row.attemptRing))
          if (a.outcome === 'refreshed' && a.at >= now - DAY_MS) latencies.push(a.durationMs);
      }
      latencies.sort((a, b) => a - b);
      return {
        status: 200,
        body: {
          connections,
          failures_24h: failures,
          next_refresh_at: next === null ? null : isoTime(next),
          refresh_latency_ms: { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95) },
          reauth_due_within_lead: reauthDue,
          truncated,
        },
      };
    },
  }),
];

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? null;
}

function less(
  a: { at: number; tb: string },
  b: { at: number; tb: string } | { t: number; b: string },
): boolean {
  const at = 'at' in b ? b.at : b.t;
  const tb = 'tb' in b ? b.tb : b.b;
  return a.at < at || (a.at === at && a.tb < tb);
}

function attemptEntry(a: Attempt, tb: string): Entry {
  return {
    at: a.at,
    tb,
    view: {
      at: isoTime(a.at),
      kind: 'refresh',
      trigger: a.trigger,
      outcome: a.outcome,
      error:
        a.code === null
          ? null
          : {
              code: a.code,
              message: `refresh failed (${a.code}); details were not recorded`,
              provider_error: null,
              provider_error_description: null,
              at: isoTime(a.at),
            },
      duration_ms: a.durationMs,
    },
  };
}

function readsEntry(day: string, count: number): Entry {
  const at = Date.parse(`${day}T00:00:00Z`);
  return { at, tb: `${pad(at)}#R`, view: { at: isoTime(at), kind: 'token_reads', day, count } };
}

function storedEntry(item: HistoryItem): Entry[] {
  const r = item.raw;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  switch (item.kind) {
    case 'A':
      return decodeAttempts(str(r.e)).map((a, i) => attemptEntry(a, `${item.sk}~${i}`));
    case 'F': {
      const base = attemptEntry(
        {
          at: item.at,
          trigger: asTrigger(r.tr),
          outcome: 'failed',
          code: null,
          durationMs: Number(r.ms ?? 0),
        },
        item.sk,
      );
      return [{ ...base, view: { ...base.view, error: (r.err as LastError | undefined) ?? null } }];
    }
    case 'T': {
      const err = r.err as Omit<LastError, 'at'> | undefined;
      const view: HistoryItemView = {
        at: isoTime(item.at),
        kind: 'transition',
        from: (str(r.fr) as HistoryItemView['from']) ?? null,
        to: str(r.to) as HistoryItemView['to'],
        event_id: item.sk.split('#')[2] ?? '',
        event_type: str(r.ty) as HistoryItemView['event_type'],
        delivery: (str(r.dl) as HistoryItemView['delivery']) ?? 'pending',
        error: err === undefined ? null : { ...err, at: isoTime(item.at) },
      };
      // A delivery recorded before the event itself (the sender was first): not shown until it is.
      return r.ty === undefined ? [] : [{ at: item.at, tb: item.sk, view }];
    }
    case 'G':
      return [
        {
          at: item.at,
          tb: item.sk,
          view: {
            at: isoTime(item.at),
            kind: r.g === 'reconnect' ? 'reconnect' : 'import',
            new_grant: r.ng === true,
          },
        },
      ];
    case 'R':
      return [readsEntry(str(r.day) ?? '', Number(r.n ?? 0))];
  }
}

function asTrigger(v: unknown): Attempt['trigger'] {
  return v === 'on_demand' || v === 'forced' ? v : 'scheduled';
}

function encodeHistoryCursor(e: Entry): string {
  return Buffer.from(JSON.stringify({ t: e.at, b: e.tb }), 'utf8').toString('base64url');
}

function decodeHistoryCursor(cursor: string): { t: number; b: string } {
  const problem = () =>
    invalidRequest('invalid query', [{ path: 'query.cursor', message: 'not a cursor returned by this API' }]);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw problem();
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (!parsed.success) throw problem();
    return parsed.data;
  } catch {
    throw problem();
  }
}
