import type * as z from 'zod';
import { connectionBatchItemSchema } from '../api/schemas/connections-batch';
import { idSchema } from '../domain/ids';

/**
 * One line of an `npm run ops -- import` NDJSON file: the single import's body (api.md
 * `PUT .../connections/{id}`) plus `connection_id` and, unless the command line names one for every
 * line (`--integration`), `integration_id`.
 */
export const importLineSchema = connectionBatchItemSchema.safeExtend({ integration_id: idSchema.optional() });
export type ImportLine = z.output<typeof importLineSchema>;

/** A problem with a line, as the report shows it: where and what, never the value. */
export interface LineProblem {
  readonly path: string;
  readonly message: string;
}

/** Parses one NDJSON line; problems name paths and rules only (a token is never echoed). */
export function parseImportLine(
  text: string,
): { ok: true; line: ImportLine } | { ok: false; problems: LineProblem[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problems: [{ path: '', message: 'not valid JSON' }] };
  }
  const result = importLineSchema.safeParse(value);
  if (result.success) return { ok: true, line: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    })),
  };
}
