/**
 * What the `npm run ops` command table (bin/ops.ts) and its command modules (bin/ops/*.ts) share.
 * It lives here, below both, so a command module never imports bin/ops.ts (that was an import cycle).
 */

/** Where the CLI writes: stdout for results, stderr for progress and problems. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}
