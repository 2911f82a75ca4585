import { afterAll } from 'vitest';
import { rememberedSecrets } from './secrets';

// Capture every byte the test file writes (Powertools' logger writes to process.stdout; vitest
// wraps the console), then check none of the remembered secrets appears in it.
const captured: string[] = [];
const keep = (chunk: unknown) => {
  captured.push(
    typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk),
  );
};
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((...args: unknown[]) => {
    keep(args[0]);
    return write(...args);
  }) as typeof stream.write;
}
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    keep(args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' '));
    original(...args);
  };
}

function safeJson(value: unknown): string {
  try {
    return value instanceof Error
      ? `${value.name}: ${value.message} ${String(value.stack)}`
      : JSON.stringify(value);
  } catch {
    return String(value);
  }
}

afterAll(() => {
  const output = captured.join('\n');
  const leaked = [...rememberedSecrets()].filter((secret) => output.includes(secret));
  if (leaked.length > 0) {
    throw new Error(`${leaked.length} secret value(s) used by this test file appeared in its log output`);
  }
});

export const capturedOutput = (): string => captured.join('\n');
