/**
 * `npm start`: the whole service on this machine (api.md "Local mode configuration").
 *
 *   npm start                 # Ctrl-C stops it (the terminal signals the whole process group)
 *   npm start -- --demo       # plus a demo OAuth provider, webhook receiver and connections
 *
 * It stops cleanly whichever process of its chain gets SIGTERM or SIGINT: this one directly, the
 * tsx launcher (which passes signals on), or npm. npm 11 does not pass SIGTERM on to the script it
 * runs, it just exits; so under npm this process watches its launcher chain and shuts down as on
 * SIGTERM once npm (or its parent) is gone (./parent-watch.ts, checked every second). Running the
 * entry directly works as well: `node --import tsx infra/local/main.ts`.
 */
import { join } from 'node:path';
import { API_KEY_FILE, WEBHOOK_SECRET_FILE } from './config';
import { watchParent } from './parent-watch';
import { type LocalRuntime, startLocalRuntime } from './runtime';
import { writeRuntimeUrl } from './runtime-url';

const args = process.argv.slice(2);
const demo = args.includes('--demo');

async function main(): Promise<void> {
  // The demo wants fast scans and quiet JSON logs so its one-line-per-event log stays readable;
  // explicit settings still win.
  const demoDefaults: Record<string, string> = demo ? { SCAN_INTERVAL_SECONDS: '2', LOG_LEVEL: 'warn' } : {};
  const env = Object.fromEntries(Object.entries(demoDefaults).filter(([name]) => !process.env[name]));
  const runtime = await startLocalRuntime({ env });
  // For `npm run keys`: the URL of the service that holds this DATA_DIR.
  const removeUrl = await writeRuntimeUrl(runtime.dataDir, runtime.url);
  let stopDemo: (() => Promise<void>) | undefined;
  let signals = 0;
  const shutdown = (signal: string) => {
    signals += 1;
    if (signals > 1) {
      console.log(`\n${signal} again: exiting without waiting`);
      process.exit(1);
    }
    console.log(`\n${signal}: stopping (waiting for in-flight work; press Ctrl-C again to force)`);
    void (async () => {
      await stopDemo?.();
      await removeUrl();
      await runtime.stop();
      process.exit(0);
    })().catch((error: unknown) => {
      console.error('shutdown failed:', error instanceof Error ? error.message : error);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // npm 11 exits on SIGTERM without passing it on: notice and stop as if it had. Its pipe to our
  // stdout may be gone by then: a failed write must not crash the stop (EPIPE is emitted as 'error').
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  watchParent((reason) => {
    console.log(`\n${reason}`);
    shutdown('SIGTERM');
  });

  console.log(banner(runtime));
  if (args.includes('--demo')) {
    try {
      stopDemo = (await (await import('./demo')).startDemo(runtime)).stop;
    } catch (error) {
      await runtime.stop(); // keep DATA_DIR consistent (saved webhooks, lock) even when the demo fails
      throw error;
    }
  }
}

function banner(rt: LocalRuntime): string {
  const secret = (value: string, source: string, file: string, envName: string) =>
    source === 'generated'
      ? `${value}\n${' '.repeat(17)}(generated now, kept in ${join(rt.dataDir, file)})`
      : source === 'env'
        ? `(from ${envName})`
        : `(in ${join(rt.dataDir, file)})`;
  return [
    '',
    `oauth-refresher (local) on ${rt.url}`,
    `  data dir       ${rt.dataDir}`,
    `  public URL     ${rt.publicUrl}  (OAuth callback: ${rt.publicUrl}/v1/oauth/callback)`,
    `  admin API key  ${secret(rt.apiKey, rt.apiKeySource, API_KEY_FILE, 'API_KEY')}`,
    `  webhook secret ${secret(rt.webhookSecret, rt.webhookSecretSource, WEBHOOK_SECRET_FILE, 'WEBHOOK_SECRET')}`,
    `  webhooks to    ${rt.webhookUrl ?? '(none: events are logged and dropped)'}`,
    `  scans every    ${rt.scanIntervalSeconds} s`,
    ...(rt.restoredMessages > 0
      ? [`  re-queued      ${rt.restoredMessages} queued message(s) saved at the last stop`]
      : []),
    `  console        ${rt.url}/console  (sign in with the admin API key)`,
    '',
    `  try: curl ${rt.url}/health`,
    '  stop: Ctrl-C, or SIGTERM to this process or to npm',
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  console.error(
    code === 'EADDRINUSE'
      ? `cannot start: the port is in use (set PORT to another one): ${message}`
      : `cannot start: ${message}`,
  );
  process.exit(1);
});
