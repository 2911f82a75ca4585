/**
 * `npm run ops -- import FILE`: streams an NDJSON file of connections through
 * `POST /v1/integrations/{id}/connections/batch`, resumable, with a report of every line that failed.
 *
 * Resuming: after each batch that is acknowledged *together with every batch before it*, the byte
 * offset after its last line goes to `FILE.import-state.json` (written atomically), with the report's
 * length at that point. A new run reads the state, cuts the report back to that length and
 * continues at that offset: batches in flight when the run stopped are sent again, which the route's
 * idempotency on `connection_id` makes harmless. An interrupted and resumed import therefore ends
 * in the same state, report included, as one that ran through.
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, stat, truncate, writeFile } from 'node:fs/promises';
import * as z from 'zod';
import { ApiClientError, type ConnectionBatchOutput, createApiClient } from '../../shared/api/client';
import { MAX_BATCH_BODY_BYTES, MAX_BATCH_ITEMS } from '../../shared/api/schemas/connections-batch';
import { type ImportLine, parseImportLine } from '../../shared/migrate/import-line';
import { readLines } from './ndjson';

export type ImportErrorCode = 'unreachable' | 'unauthorized' | 'forbidden' | 'state_mismatch' | 'failed';

/** Why an import stopped before the end of the file (the state file keeps what was done). */
export class ImportError extends Error {
  override readonly name = 'ImportError';
  constructor(
    readonly code: ImportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ImportOptions {
  readonly file: string;
  readonly url: string;
  readonly apiKey: string;
  /** For lines without `integration_id`. */
  readonly integration?: string | undefined;
  /** @default `${file}.report.ndjson` */
  readonly reportPath?: string;
  /** @default `${file}.import-state.json` */
  readonly statePath?: string;
  /** Ignore a previous run's state and start over. */
  readonly restart?: boolean;
  /** @default 100 */
  readonly batchSize?: number;
  /** Batches in flight at once. @default 4 */
  readonly concurrency?: number;
  readonly fetch?: typeof globalThis.fetch;
  /** Stops reading; batches in flight finish and are recorded. */
  readonly signal?: AbortSignal;
  /** Progress lines (stderr). */
  readonly progress?: (line: string) => void;
  /** @default 1000 */
  readonly progressIntervalMs?: number;
  /** Attempts per batch for transient failures (no answer, 5xx, 429). @default 6 */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface ImportCounts {
  /** Lines read (blank lines included). */
  lines: number;
  created: number;
  replaced: number;
  failed: number;
}

export interface ImportSummary extends ImportCounts {
  readonly reportPath: string;
  readonly statePath: string;
  /** Stopped by the signal before the end of the file; run again to resume. */
  readonly interrupted: boolean;
  /** Continued a previous run from this line. */
  readonly resumedAtLine: number | null;
  readonly alreadyComplete: boolean;
}

/** A report line: where and why, never a token. */
export interface ReportEntry {
  readonly line: number;
  readonly integration_id: string | null;
  readonly connection_id: string | null;
  /** The HTTP status the service gave the item, or null when the line was never sent. */
  readonly status: number | null;
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

const stateSchema = z.object({
  version: z.literal(1),
  file: z.object({ size: z.number(), head_sha256: z.string() }),
  offset: z.number().int().nonnegative(),
  next_line: z.number().int().positive(),
  report_bytes: z.number().int().nonnegative(),
  counts: z.object({
    lines: z.number().int(),
    created: z.number().int(),
    replaced: z.number().int(),
    failed: z.number().int(),
  }),
  done: z.boolean(),
  updated_at: z.string(),
});
type ImportState = z.output<typeof stateSchema>;

/** Room for the envelope around the items within the route's 1 MiB. */
const BATCH_BODY_BUDGET = MAX_BATCH_BODY_BYTES - 16 * 1024;
const HEAD_BYTES = 64 * 1024;

interface Unit {
  integrationId: string | null;
  readonly items: Array<{ line: number; item: Omit<ImportLine, 'integration_id'>; connectionId: string }>;
  readonly failures: ReportEntry[];
  bytes: number;
  end: number;
  nextLine: number;
}

/**
 * Runs (or resumes) an import.
 * @throws ImportError `unreachable` (no answer after retries), `unauthorized` (401), `forbidden`
 *   (403: the key lacks the admin scope), `state_mismatch` (the file changed since the run that left
 *   the state), `failed` (other request-level failures after retries).
 */
export async function runImport(options: ImportOptions): Promise<ImportSummary> {
  const reportPath = options.reportPath ?? `${options.file}.report.ndjson`;
  const statePath = options.statePath ?? `${options.file}.import-state.json`;
  const batchSize = Math.min(Math.max(options.batchSize ?? MAX_BATCH_ITEMS, 1), MAX_BATCH_ITEMS);
  const concurrency = Math.max(options.concurrency ?? 4, 1);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxAttempts = options.maxAttempts ?? 6;
  const client = createApiClient({
    baseUrl: options.url,
    apiKey: options.apiKey,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });

  const fingerprint = await fingerprintOf(options.file);
  let state = options.restart === true ? null : await readState(statePath);
  if (
    state !== null &&
    (state.file.size !== fingerprint.size || state.file.head_sha256 !== fingerprint.head_sha256)
  )
    throw new ImportError(
      'state_mismatch',
      `${options.file} changed since the run that left ${statePath}: pass --restart to import it from the start`,
    );
  const resumedAtLine = state !== null && !state.done && state.offset > 0 ? state.next_line : null;
  if (state?.done === true)
    return {
      ...state.counts,
      reportPath,
      statePath,
      interrupted: false,
      resumedAtLine: null,
      alreadyComplete: true,
    };

  await preflight(client, options.integration);

  if (state === null) {
    state = {
      version: 1,
      file: fingerprint,
      offset: 0,
      next_line: 1,
      report_bytes: 0,
      counts: { lines: 0, created: 0, replaced: 0, failed: 0 },
      done: false,
      updated_at: new Date().toISOString(),
    };
    await writeFile(reportPath, '', { mode: 0o600 });
    await saveState(statePath, state);
  } else {
    // Lines reported after the last saved state belong to batches that are sent again.
    await truncate(reportPath, state.report_bytes).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      if (state?.report_bytes !== 0)
        throw new ImportError('state_mismatch', `${reportPath} is missing: pass --restart to start over`);
      await writeFile(reportPath, '', { mode: 0o600 });
    });
  }
  const current: ImportState = state;
  const counts: ImportCounts = { ...current.counts };
  const report = await open(reportPath, 'a');
  let reportBytes = current.report_bytes;

  const started = Date.now();
  const linesAtStart = counts.lines;
  let lastProgress = 0;
  const progress = (force = false) => {
    if (options.progress === undefined) return;
    const now = Date.now();
    if (!force && now - lastProgress < (options.progressIntervalMs ?? 1_000)) return;
    lastProgress = now;
    const pct = fingerprint.size === 0 ? 100 : Math.floor((current.offset / fingerprint.size) * 100);
    const rate = Math.round(((counts.lines - linesAtStart) * 1000) / Math.max(now - started, 1));
    options.progress(
      `import: ${counts.lines} lines (${pct}%), ${counts.created} created, ${counts.replaced} replaced, ${counts.failed} failed, ${rate} lines/s`,
    );
  };

  /** Records a finished unit: report lines, counts, then the state (in file order). */
  const commit = async (unit: Unit, results: ReportEntry[] | null, outcome: BatchOutcome | null) => {
    const entries = [...unit.failures, ...(results ?? [])].sort((a, b) => a.line - b.line);
    if (outcome !== null) {
      counts.created += outcome.created;
      counts.replaced += outcome.replaced;
    }
    counts.failed += entries.length;
    counts.lines = unit.nextLine - 1;
    if (entries.length > 0) {
      const text = entries.map((e) => `${JSON.stringify(e)}\n`).join('');
      await report.write(text);
      await report.sync();
      reportBytes += Buffer.byteLength(text);
    }
    current.offset = unit.end;
    current.next_line = unit.nextLine;
    current.report_bytes = reportBytes;
    current.counts = { ...counts };
    current.updated_at = new Date().toISOString();
    await saveState(statePath, current);
    progress();
  };

  const send = (unit: Unit) => sendUnit(client, unit, { maxAttempts, sleep });
  const inFlight: Array<{ unit: Unit; result: Promise<BatchOutcome> }> = [];
  const drainOne = async () => {
    const head = inFlight.shift();
    if (head === undefined) return;
    const outcome = await head.result;
    await commit(head.unit, outcome.failures, outcome);
  };
  let interrupted = false;
  try {
    let unit: Unit | null = null;
    const flush = async () => {
      if (unit === null) return;
      const ready = unit;
      unit = null;
      if (ready.items.length === 0) {
        // Only invalid or blank lines: nothing to send, but commit in order.
        while (inFlight.length > 0) await drainOne();
        await commit(ready, null, null);
        return;
      }
      const result = send(ready);
      result.catch(() => undefined); // awaited in order by drainOne
      inFlight.push({ unit: ready, result });
      while (inFlight.length >= concurrency) await drainOne();
    };
    for await (const fileLine of readLines(
      options.file,
      current.offset,
      current.next_line,
      BATCH_BODY_BUDGET,
    )) {
      if (options.signal?.aborted === true) {
        interrupted = true;
        break;
      }
      const entry = classify(fileLine.text, options.integration);
      if (entry.kind === 'item') {
        const { integrationId, item } = entry;
        const bytes = Buffer.byteLength(JSON.stringify(item)) + 1;
        if (
          unit !== null &&
          unit.items.length > 0 &&
          (unit.integrationId !== integrationId ||
            unit.items.length >= batchSize ||
            unit.bytes + bytes > BATCH_BODY_BUDGET)
        )
          await flush();
        unit ??= newUnit();
        unit.integrationId = integrationId;
        unit.items.push({ line: fileLine.number, item, connectionId: item.connection_id });
        unit.bytes += bytes;
      } else {
        // Failures and blank lines ride with the open unit, keeping the report in file order.
        unit ??= newUnit();
        if (entry.kind === 'failure') unit.failures.push({ line: fileLine.number, ...entry.entry });
      }
      unit.end = fileLine.end;
      unit.nextLine = fileLine.number + 1;
    }
    await flush();
    while (inFlight.length > 0) await drainOne();
  } catch (error) {
    // Batches acknowledged before the failure are recorded; the rest is sent again on resume.
    await Promise.allSettled(inFlight.map((f) => f.result));
    await report.close();
    throw error;
  }
  await report.close();
  if (!interrupted) {
    current.done = true;
    current.updated_at = new Date().toISOString();
    await saveState(statePath, current);
  }
  progress(true);
  return { ...counts, reportPath, statePath, interrupted, resumedAtLine, alreadyComplete: false };
}

const newUnit = (): Unit => ({ integrationId: null, items: [], failures: [], bytes: 0, end: 0, nextLine: 1 });

type Classified =
  | { kind: 'blank' }
  | { kind: 'failure'; entry: Omit<ReportEntry, 'line'> }
  | { kind: 'item'; integrationId: string; item: Omit<ImportLine, 'integration_id'> };

function classify(text: string | null, defaultIntegration: string | undefined): Classified {
  const invalid = (message: string, extra: Partial<ReportEntry> = {}): Classified => ({
    kind: 'failure',
    entry: {
      integration_id: null,
      connection_id: null,
      status: null,
      error: { code: 'invalid_line', message },
      ...extra,
    },
  });
  if (text === null) return invalid(`the line is over ${BATCH_BODY_BUDGET} bytes`);
  if (text.trim() === '') return { kind: 'blank' };
  const parsed = parseImportLine(text);
  if (!parsed.ok)
    return invalid('the line is not a valid import', {
      error: { code: 'invalid_line', message: 'the line is not a valid import', details: parsed.problems },
    });
  const { integration_id: lineIntegration, ...item } = parsed.line;
  const integrationId = lineIntegration ?? defaultIntegration;
  if (integrationId === undefined)
    return invalid('no integration_id on the line and no --integration given', {
      connection_id: item.connection_id,
    });
  return { kind: 'item', integrationId, item };
}

interface BatchOutcome {
  readonly created: number;
  readonly replaced: number;
  readonly failures: ReportEntry[];
}

async function sendUnit(
  client: ReturnType<typeof createApiClient>,
  unit: Unit,
  retry: { maxAttempts: number; sleep: (ms: number) => Promise<void> },
): Promise<BatchOutcome> {
  const integrationId = unit.integrationId ?? '';
  const body = { items: unit.items.map((i) => ({ ...i.item })) };
  for (let attempt = 1; ; attempt++) {
    let answer: ConnectionBatchOutput;
    try {
      answer = await client.importConnections(integrationId, body);
    } catch (error) {
      if (!(error instanceof ApiClientError)) throw error;
      throwIfRefused(error);
      const transient = error.status === 0 || error.status === 429 || error.status >= 500;
      // A 500 that repeats is likely one item the service cannot handle: send the batch's items one
      // by one, so that item is reported and the others import (a 503 is the service being busy).
      const internal = error.status >= 500 && error.status !== 503;
      if (internal && attempt >= 2 && unit.items.length > 1) return sendOneByOne(client, unit, retry);
      if (transient && attempt < retry.maxAttempts) {
        const backoff = Math.min(500 * 2 ** (attempt - 1), 8_000);
        await retry.sleep(error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : backoff);
        continue;
      }
      if (error.status === 0) {
        const cause = error.cause instanceof Error ? causeText(error.cause) : 'no answer';
        throw new ImportError(
          'unreachable',
          `cannot reach the service (${cause}): is it running, and is --url right?`,
          {
            cause: error,
          },
        );
      }
      if (internal) return { created: 0, replaced: 0, failures: refusedAll(unit, error) };
      if (transient)
        throw new ImportError(
          'failed',
          `the service keeps failing (${error.status} ${error.code}): ${error.message}`,
        );
      // The request as a whole was refused (unknown integration, a body the service rejects):
      // every line of the batch fails with that reason.
      return { created: 0, replaced: 0, failures: refusedAll(unit, error) };
    }
    let created = 0;
    let replaced = 0;
    const failures: ReportEntry[] = [];
    unit.items.forEach((sent, index) => {
      const result = answer.items[index];
      if (result?.status === 201) created++;
      else if (result?.status === 200) replaced++;
      else
        failures.push({
          line: sent.line,
          integration_id: integrationId,
          connection_id: sent.connectionId,
          status: result?.status ?? null,
          error: result?.error ?? {
            code: 'missing_result',
            message: 'the service returned no result for this item',
          },
        });
    });
    return { created, replaced, failures };
  }
}

async function sendOneByOne(
  client: ReturnType<typeof createApiClient>,
  unit: Unit,
  retry: { maxAttempts: number; sleep: (ms: number) => Promise<void> },
): Promise<BatchOutcome> {
  const total = { created: 0, replaced: 0, failures: [] as ReportEntry[] };
  for (const item of unit.items) {
    const one = await sendUnit(client, { ...unit, items: [item], failures: [] }, retry);
    total.created += one.created;
    total.replaced += one.replaced;
    total.failures.push(...one.failures);
  }
  return total;
}

function refusedAll(unit: Unit, error: ApiClientError): ReportEntry[] {
  return unit.items.map((i) => ({
    line: i.line,
    integration_id: unit.integrationId,
    connection_id: i.connectionId,
    status: error.status,
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  }));
}

async function preflight(client: ReturnType<typeof createApiClient>, integration: string | undefined) {
  try {
    if (integration !== undefined) await client.getIntegration(integration);
    else await client.listIntegrations();
  } catch (error) {
    if (!(error instanceof ApiClientError)) throw error;
    if (error.status === 0) {
      const cause = error.cause instanceof Error ? causeText(error.cause) : 'no answer';
      throw new ImportError(
        'unreachable',
        `cannot reach the service (${cause}): is it running, and is --url right?`,
        {
          cause: error,
        },
      );
    }
    throwIfRefused(error);
    if (error.status === 404 && integration !== undefined)
      throw new ImportError(
        'failed',
        `integration ${integration} does not exist: create it first (PUT /v1/integrations/${integration})`,
      );
    throw new ImportError('failed', `the service answered ${error.status} ${error.code}: ${error.message}`);
  }
}

/** A key the service refused (401) or that is not an admin key (403) ends the import: say which. */
function throwIfRefused(error: ApiClientError): void {
  if (error.status === 401)
    throw new ImportError(
      'unauthorized',
      'the service refused the API key (401): check --key or OAUTH_REFRESHER_API_KEY',
    );
  if (error.status === 403)
    throw new ImportError('forbidden', 'the API key lacks the admin scope (403): imports need an admin key');
}

/** fetch wraps the socket error: its code (ECONNREFUSED, ENOTFOUND) is what an operator needs. */
function causeText(error: Error): string {
  const inner = error.cause;
  if (inner instanceof Error) {
    const code = (inner as NodeJS.ErrnoException).code;
    return code === undefined ? inner.message : code;
  }
  return error.message;
}

async function fingerprintOf(path: string): Promise<ImportState['file']> {
  const { size } = await stat(path);
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
    await handle.read(head, 0, head.length, 0);
    return { size, head_sha256: createHash('sha256').update(head).digest('hex') };
  } finally {
    await handle.close();
  }
}

async function readState(path: string): Promise<ImportState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = stateSchema.safeParse(safeJson(text));
  if (!parsed.success)
    throw new ImportError(
      'state_mismatch',
      `${path} is not an import state file: delete it or pass --restart`,
    );
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Write-then-rename: a crash leaves the old state or the new one, never half of one. */
async function saveState(path: string, state: ImportState): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, path);
}
