/**
 * The operator commands of `npm run ops` (bin/ops.ts holds the command table): connections,
 * integration retry, the refresh schedule and the DLQs, against the local runtime or a stack.
 * Nothing printed here ever holds a token, secret or key: connection views and history carry none,
 * and dead letters are shown by their identifiers only.
 */
import { textTable } from '../text-table';
import {
  type ApiTarget,
  type ConnectionView,
  connectionPageSchema,
  connectionSchema,
  type HistoryItem,
  historyPageSchema,
  integrationRetrySchema,
  type LocalSchedule,
  local,
  localDlqSchema,
  localRedriveSchema,
  localScheduleSchema,
  paths,
  request,
} from './api';
import {
  AWS_DLQS,
  type AwsClients,
  type AwsDlqName,
  type AwsScheduleStatus,
  type AwsTarget,
  awsDlqStatus,
  awsRedrive,
  awsSchedule,
  awsWaitForMove,
  resolvedRegion,
} from './aws';
import type { CliIo } from './cli';
import { OpsError } from './errors';

// ---- connections ------------------------------------------------------------------------------

export const CONNECTION_STATUSES = ['active', 'failing', 'needs_reauth'] as const;

/** Follows `next_cursor` until `limit` connections are read; says when there are more. */
export async function listConnections(
  target: ApiTarget,
  filter: { readonly status?: string; readonly integration?: string; readonly limit: number },
  io: CliIo,
  json: boolean,
): Promise<number> {
  const items: ConnectionView[] = [];
  let cursor: string | undefined;
  let more = false;
  do {
    const page = await request(target, 'GET', paths.connections, connectionPageSchema, {
      status: filter.status,
      integration_id: filter.integration,
      limit: Math.min(500, filter.limit - items.length),
      cursor,
    });
    items.push(...page.items);
    cursor = page.next_cursor ?? undefined;
    more = cursor !== undefined;
  } while (more && items.length < filter.limit);
  if (json) {
    for (const item of items) io.out(JSON.stringify(item));
    return 0;
  }
  const what = [
    filter.status ?? 'any status',
    filter.integration === undefined ? '' : `integration ${filter.integration}`,
  ]
    .filter((s) => s !== '')
    .join(', ');
  if (items.length === 0) {
    io.out(`No connections (${what}).`);
    return 0;
  }
  io.out(
    textTable([
      ['INTEGRATION', 'CONNECTION', 'STATUS', 'FAILURES', 'LAST ERROR', 'TOKEN EXPIRES', 'NEXT REFRESH'],
      ...items.map((c) => [
        c.integration_id,
        c.connection_id,
        c.status,
        String(c.consecutive_failures),
        c.last_error === null
          ? '-'
          : clip(`${c.last_error.code}${c.last_error.at ? ` ${c.last_error.at}` : ''}`, 44),
        c.access_token_expires_at ?? '-',
        c.next_refresh_at ?? '-',
      ]),
    ]),
  );
  io.out(
    `${items.length} connection(s) (${what})${more ? `; more exist: raise --limit (now ${filter.limit})` : ''}.`,
  );
  return 0;
}

/** The connection, its last error, and its recent history when the service serves it. */
export async function showConnection(
  target: ApiTarget,
  integrationId: string,
  connectionId: string,
  historyLimit: number,
  io: CliIo,
  json: boolean,
): Promise<number> {
  const view = await request(target, 'GET', paths.connection(integrationId, connectionId), connectionSchema);
  let history: HistoryItem[] | null = null;
  let historyNote = '';
  try {
    history = (
      await request(target, 'GET', paths.history(integrationId, connectionId), historyPageSchema, {
        limit: historyLimit,
      })
    ).items;
  } catch (error) {
    // Services before api.md v1.1 have no history route (404): show what there is.
    if (!(error instanceof OpsError && error.code === 'not_found')) throw error;
    historyNote =
      'History: not served by this service (GET .../history answered 404; it came with api.md v1.1).';
  }
  if (json) {
    io.out(JSON.stringify({ connection: view, history }));
    return 0;
  }
  const rows: Array<[string, string]> = [
    ['integration', view.integration_id],
    ['connection', view.connection_id],
    ['provider', view.provider],
    ['status', view.status],
    ['account', view.account_id ?? '-'],
    ['access token expires', view.access_token_expires_at ?? '-'],
    ['last refresh', view.last_refresh_at ?? '-'],
    ['next refresh', view.next_refresh_at ?? '-'],
    ['refresh token expires', view.refresh_token_expires_at ?? '-'],
    ['reauth due', view.reauth_due_at ?? '-'],
    ['consecutive failures', String(view.consecutive_failures)],
    ['created', view.created_at],
    ['updated', view.updated_at],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) io.out(`${k.padEnd(width)}  ${v}`);
  const e = view.last_error;
  if (e === null) io.out(`${'last error'.padEnd(width)}  none`);
  else {
    io.out(`${'last error'.padEnd(width)}  ${e.code}${e.at ? ` at ${e.at}` : ''}: ${e.message}`);
    if (e.provider_error)
      io.out(
        `${''.padEnd(width)}  provider said ${e.provider_error}${e.provider_error_description ? `: ${e.provider_error_description}` : ''}`,
      );
  }
  io.out(nextStep(view));
  io.out('');
  if (history === null) io.out(historyNote);
  else if (history.length === 0) io.out('History: nothing recorded yet.');
  else {
    io.out(`Recent history (newest first, ${history.length}):`);
    io.out(textTable([['AT', 'KIND', 'WHAT'], ...history.map((h) => [h.at, h.kind, describeHistory(h)])]));
  }
  return 0;
}

function nextStep(view: ConnectionView): string {
  const iid = view.integration_id;
  if (view.status === 'needs_reauth')
    return `next step: the end user reconnects (POST /v1/connect-sessions for ${iid}/${view.connection_id}); a needs_reauth whose token the provider never rejected can be retried: POST .../retry`;
  if (view.last_error?.code === 'client_misconfigured')
    return `next step: fix the integration's client credentials, then: npm run ops -- integration retry ${iid}`;
  if (view.status === 'failing')
    return 'next step: none needed yet; the service retries with backoff (the token stays served while valid)';
  return 'next step: none (active)';
}

function describeHistory(h: HistoryItem): string {
  const err =
    h.error === undefined || h.error === null ? '' : ` ${h.error.code}: ${clip(h.error.message, 60)}`;
  switch (h.kind) {
    case 'refresh':
      return `${h.trigger ?? '?'} refresh ${h.outcome ?? '?'}${h.duration_ms === undefined ? '' : ` in ${h.duration_ms} ms`}${err}`;
    case 'transition':
      return `${h.from ?? 'new'} → ${h.to ?? '?'}${h.event_type ? ` (${h.event_type}, ${h.delivery ?? '?'})` : ''}${err}`;
    case 'import':
    case 'reconnect':
      return h.new_grant === undefined
        ? h.kind
        : `${h.kind}${h.new_grant ? ' (new grant)' : ' (same grant)'}`;
    case 'token_reads':
      return `${h.count ?? '?'} token read(s) on ${h.day ?? '?'}`;
    default:
      return err.trim();
  }
}

export async function retryIntegration(target: ApiTarget, integrationId: string, io: CliIo): Promise<number> {
  const result = await request(target, 'POST', paths.integrationRetry(integrationId), integrationRetrySchema);
  io.out(
    `Integration ${integrationId}: ${result.retried} held connection(s) made due now; the next scan refreshes them` +
      (result.complete ? '.' : '. More remain: run the same command again.'),
  );
  return 0;
}

// ---- the schedule -----------------------------------------------------------------------------

export type ScheduleAction = 'status' | 'pause' | 'resume';

/** What pausing means for tokens, printed with every pause (and with the status while paused). */
export function pausedMeaning(resume: string): string[] {
  return [
    'While scheduled refreshing is paused:',
    '  - no connection is refreshed ahead of expiry, and the daily keep-alive stops: access tokens',
    '    expire at their normal time (a connection shows it as access_token_expires_at);',
    '  - on-demand reads still refresh: GET .../token refreshes inline when the token is too old, so',
    '    apps that read their tokens keep working (as do POST .../refresh and the connect flow);',
    '  - connections nobody reads are not kept alive: where refresh tokens die unused',
    '    (refresh_token_expires_at), a pause longer than that loses them to needs_reauth;',
    '  - failing connections are not retried; tasks already queued still run.',
    `Resume with: ${resume}`,
  ];
}

export async function scheduleLocal(target: ApiTarget, action: ScheduleAction, io: CliIo): Promise<number> {
  const method = action === 'status' ? 'GET' : 'POST';
  const route = action === 'status' ? 'schedule' : `schedule/${action}`;
  const s: LocalSchedule = await local(target, method, route, localScheduleSchema);
  io.out(
    `Local schedule at ${target.url}: ${s.state} (a scan every ${s.interval_seconds} s)` +
      (s.paused_at === null ? '' : `, paused since ${s.paused_at}`),
  );
  io.out(
    `  scans: ${s.scheduled_runs} scheduled, ${s.manual_runs} on request; ${s.ticks_while_paused} tick(s) skipped while paused; last scan ${s.last_run_at ?? 'never'}`,
  );
  if (s.state === 'DISABLED') {
    io.out('  (kept across restarts of the local runtime until resumed)');
    for (const line of pausedMeaning('npm run ops -- schedule resume')) io.out(line);
  } else if (action === 'resume') io.out('Scheduled scans run again from the next tick.');
  return 0;
}

export async function scheduleAws(
  clients: AwsClients,
  target: AwsTarget,
  action: ScheduleAction,
  io: CliIo,
): Promise<number> {
  const s: AwsScheduleStatus = await awsSchedule(clients, target, action);
  const region = await resolvedRegion(clients);
  const verb = s.changed ? (s.state === 'DISABLED' ? 'paused: now ' : 'resumed: now ') : '';
  io.out(`Schedule ${s.group}/${s.name} of stack ${target.stack} (${region}): ${verb}${s.state}`);
  io.out(`  ${s.expression}, window ${s.flexibleWindow}; last modified ${s.lastModified ?? '-'}`);
  if (s.state === 'DISABLED') {
    for (const line of pausedMeaning(
      `npm run ops -- schedule resume --stack ${target.stack} --region ${region}`,
    ))
      io.out(line);
    io.out(
      'The SchedulerSilent alarm fires after 3 schedule periods (at least 5 min) and stays in ALARM until the schedule is resumed: expected.',
    );
    io.out('A cdk deploy that changes the schedule sets it ENABLED again.');
  } else if (action === 'resume') io.out('Scans run again from the next tick.');
  return 0;
}

// ---- the DLQs ---------------------------------------------------------------------------------

export const DLQ_NAMES = Object.keys(AWS_DLQS) as AwsDlqName[];

const REDRIVE_NOTE: Readonly<Record<AwsDlqName, string>> = {
  refresh:
    'Refresh tasks hold connection ids only; a task for a connection that is no longer due does nothing.',
  webhooks:
    'Events go back to the webhook queue and get a whole new retry schedule (about 32 hours); receivers de-duplicate on webhook-id.',
};

export async function dlqShowLocal(target: ApiTarget, io: CliIo, json: boolean): Promise<number> {
  const view = await local(target, 'GET', 'dlq', localDlqSchema);
  if (json) {
    io.out(JSON.stringify(view));
    return 0;
  }
  for (const q of view.queues) {
    io.out(
      `${q.name} DLQ (${q.dlq} → ${q.source}): ${q.visible} message(s)${q.in_flight > 0 ? `, ${q.in_flight} in flight` : ''}`,
    );
    if (q.messages.length > 0)
      io.out(
        textTable([
          ['  MESSAGE', 'RECEIVES', 'INTEGRATION', 'CONNECTION', 'EVENT'],
          ...q.messages.map((m) => [
            `  ${m.message_id}`,
            String(m.receive_count),
            m.integration_id ?? '-',
            m.connection_id ?? '-',
            m.event_type === null
              ? m.parseable
                ? '-'
                : '(not JSON)'
              : `${m.event_type} ${m.event_id ?? ''}`.trim(),
          ]),
        ]),
      );
  }
  if (view.queues.some((q) => q.visible > 0)) io.out('Redrive: npm run ops -- dlq redrive refresh|webhooks');
  return 0;
}

export async function dlqRedriveLocal(target: ApiTarget, name: AwsDlqName, io: CliIo): Promise<number> {
  const result = await local(target, 'POST', `dlq/${name}/redrive`, localRedriveSchema);
  io.out(
    `Moved ${result.moved} message(s) from the ${name} DLQ back to its queue` +
      (result.failed === 0 ? '.' : `; ${result.failed} could not be sent and stay in the DLQ.`),
  );
  if (result.moved > 0) io.out(REDRIVE_NOTE[name]);
  return result.failed === 0 ? 0 : 1;
}

export async function dlqShowAws(
  clients: AwsClients,
  target: AwsTarget,
  io: CliIo,
  json: boolean,
): Promise<number> {
  const { queues, schedule } = await awsDlqStatus(clients, target);
  if (json) {
    io.out(JSON.stringify({ queues, schedule }));
    return 0;
  }
  for (const q of queues) {
    io.out(
      `${q.name} DLQ of ${target.stack}: ${q.visible} message(s)${q.inFlight > 0 ? `, ${q.inFlight} in flight` : ''}`,
    );
    if (q.lastMove !== null)
      io.out(
        `  last redrive: ${q.lastMove.status}, ${q.lastMove.moved}${q.lastMove.toMove === null ? '' : ` of ${q.lastMove.toMove}`} moved` +
          `${q.lastMove.startedAt === null ? '' : `, started ${q.lastMove.startedAt}`}${q.lastMove.failureReason === null ? '' : ` (${q.lastMove.failureReason})`}`,
      );
  }
  if (schedule !== null)
    io.out(
      `schedule DLQ of ${target.stack}: ${schedule.visible} failed tick(s)` +
        (schedule.visible === 0
          ? ''
          : ' (not redriven: the next tick scans anyway; read them in the console, then purge)'),
    );
  return 0;
}

export async function dlqRedriveAws(
  clients: AwsClients,
  target: AwsTarget,
  name: AwsDlqName,
  io: CliIo,
  wait: { readonly sleep?: (ms: number) => Promise<void> } | false = false,
): Promise<number> {
  const handle = await awsRedrive(clients, target, name);
  io.out(`Started moving the ${name} DLQ's messages back to its queue (SQS message move task ${handle}).`);
  io.out(REDRIVE_NOTE[name]);
  if (wait === false) {
    io.out(
      `Progress: npm run ops -- dlq show --stack ${target.stack}${target.region === undefined ? '' : ` --region ${target.region}`}`,
    );
    return 0;
  }
  const done = await awsWaitForMove(clients, target, name, {
    ...(wait.sleep === undefined ? {} : { sleep: wait.sleep }),
    progress: (moved, toMove) => io.err(`dlq: ${moved}${toMove === null ? '' : ` of ${toMove}`} moved…`),
  });
  io.out(
    `Move task ${done.status}: ${done.moved}${done.toMove === null ? '' : ` of ${done.toMove}`} message(s) moved` +
      (done.failureReason === null ? '.' : ` (${done.failureReason}).`),
  );
  return done.status === 'COMPLETED' ? 0 : 1;
}

// ---- text -------------------------------------------------------------------------------------

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
