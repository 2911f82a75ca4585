import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * Browser tests drive Debian's Chromium (`apt-get install -y chromium`) through playwright-core:
 * nothing is downloaded at run time. `CHROMIUM_PATH` points at another Chromium or Chrome binary.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM_PATH);
export const SKIP_NOTICE =
  `browser tests SKIPPED: no Chromium at ${CHROMIUM_PATH}. Install one to run them: ` +
  '`sudo apt-get update && sudo apt-get install -y chromium` (Debian/Ubuntu), or set CHROMIUM_PATH ' +
  'to a Chromium or Chrome binary. CI (.ci/run) installs it and always runs them.';

/**
 * Headless Chromium without background networking (these machines have no internet). Playwright
 * gives every launch a fresh, empty profile directory of its own (`--user-data-dir` may not be passed).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
