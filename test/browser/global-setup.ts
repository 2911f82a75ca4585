import { HAVE_CHROMIUM, SKIP_NOTICE } from './chromium';

/** Says plainly, once, that the browser tests were skipped and how to get them to run. */
export default function setup(): void {
  if (!HAVE_CHROMIUM) process.stderr.write(`\n${SKIP_NOTICE}\n\n`);
}
