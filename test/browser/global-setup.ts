import { CHROMIUM_PATH, HAVE_CHROMIUM, SKIP_NOTICE } from './chromium';

/**
 * Says plainly, once, that the browser tests were skipped and how to get them to run. Under CI
 * (`CI=true`, as .ci/run sets) a missing Chromium is an error: CI always runs them.
 */
export default function setup(): void {
  if (HAVE_CHROMIUM) return;
  if (process.env.CI === 'true') {
    throw new Error(
      `CI must run the browser tests, but there is no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`,
    );
  }
  process.stderr.write(`\n${SKIP_NOTICE}\n\n`);
}
