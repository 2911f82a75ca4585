/**
 * Secrets seen by a test file (tokens, client secrets, keys). The suite-wide setup captures
 * everything written to stdout/stderr and the console, and fails the file if any of them shows up
 * (reliability.md promise 9).
 */
const secrets = new Set<string>();

export function rememberSecret(...values: Array<string | null | undefined>): void {
  for (const value of values)
    if (value !== null && value !== undefined && value.length >= 8) secrets.add(value);
}

export function rememberedSecrets(): ReadonlySet<string> {
  return secrets;
}
