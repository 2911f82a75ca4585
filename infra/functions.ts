import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: NodejsFunction bundles from here (package-lock.json, tsconfig.json). */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The service's Lambda functions, one folder each under `functions/`. */
export const FUNCTION_NAMES = ['scheduler', 'refresher', 'webhook-sender', 'api'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** Absolute path of a function's entry file (it exports `handler`). */
export function functionEntry(name: FunctionName): string {
  return join(PROJECT_ROOT, 'functions', name, 'handler.ts');
}

/**
 * Checks that every entry file exists: a renamed handler should fail the synth with its path,
 * not with an esbuild error about a missing file.
 * @throws Error naming the missing entry files
 */
export function assertFunctionEntries(): void {
  const missing = FUNCTION_NAMES.map(functionEntry).filter((entry) => !existsSync(entry));
  if (missing.length > 0) throw new Error(`function entry files not found: ${missing.join(', ')}`);
}
