import type { Attempt, AttemptTrigger } from '../domain/attempt';
import { refreshErrorCodeSchema } from '../domain/refresh-failure';

/**
 * The compact ring of recent attempts a connection item carries (attribute `hr`), appended by the
 * commit each refresh already makes, so recording every attempt costs no extra write: about 7 bytes
 * an attempt, at most {@link RING_CAPACITY} attempts. When it would grow past that, the oldest
 * {@link RING_SPILL} leave the ring in that commit and are written after it as one history item
 * (one write per {@link RING_SPILL} refreshes).
 *
 * Format: entries oldest first, separated by `,`. Each is `<seconds><flag><duration>`: the seconds
 * (base 36) since the previous entry (the first: since the epoch), one capital letter for trigger ×
 * outcome × error code, and the duration in ms (base 36). Pure; a malformed ring decodes to what
 * can be read (it is ours, but a history is never worth a failed refresh).
 */
/**
 * Sized for the write unit: five entries (≈39 bytes with the name) keep a Google-sized connection
 * (976 bytes while leased) under 1 KB, so lease and commit stay 1 write unit each; a spill every
 * four refreshes adds 0.25 write units a refresh (bench/README.md, cost).
 */
export const RING_CAPACITY = 5;
export const RING_SPILL = 4;

const TRIGGERS: readonly AttemptTrigger[] = ['scheduled', 'on_demand', 'forced'];
const CODES = refreshErrorCodeSchema.options;
/** refreshed, not_needed, then one per failure code. */
const RESULTS = 2 + CODES.length;
const MAX_DURATION_MS = 36 ** 4 - 1;
const ENTRY = /^([0-9a-z]{1,9})([A-Z])([0-9a-z]{0,4})$/;

function flagOf(a: Attempt): string {
  const result =
    a.outcome === 'refreshed'
      ? 0
      : a.outcome === 'not_needed'
        ? 1
        : 2 + Math.max(0, CODES.indexOf(a.code ?? 'invalid_response'));
  return String.fromCharCode(65 + TRIGGERS.indexOf(a.trigger) * RESULTS + result);
}

function fromFlag(flag: string): Pick<Attempt, 'trigger' | 'outcome' | 'code'> | null {
  const n = flag.charCodeAt(0) - 65;
  const trigger = TRIGGERS[Math.floor(n / RESULTS)];
  if (trigger === undefined || n < 0) return null;
  const result = n % RESULTS;
  if (result === 0) return { trigger, outcome: 'refreshed', code: null };
  if (result === 1) return { trigger, outcome: 'not_needed', code: null };
  return { trigger, outcome: 'failed', code: CODES[result - 2] ?? 'invalid_response' };
}

/** Encodes attempts (oldest first). */
export function encodeAttempts(attempts: readonly Attempt[]): string {
  let previous = 0;
  return attempts
    .map((a) => {
      const seconds = Math.max(previous, Math.floor(a.at / 1000));
      const delta = seconds - previous;
      previous = seconds;
      const duration = Math.min(MAX_DURATION_MS, Math.max(0, Math.round(a.durationMs)));
      return `${delta.toString(36)}${flagOf(a)}${duration.toString(36)}`;
    })
    .join(',');
}

/** Decodes a ring (oldest first); unreadable entries are skipped. */
export function decodeAttempts(ring: string | null | undefined): Attempt[] {
  if (ring === null || ring === undefined || ring === '') return [];
  const out: Attempt[] = [];
  let seconds = 0;
  for (const part of ring.split(',')) {
    const m = ENTRY.exec(part);
    if (m === null) continue;
    const flag = fromFlag(m[2] ?? '');
    seconds += Number.parseInt(m[1] ?? '0', 36);
    if (flag === null) continue;
    out.push({ at: seconds * 1000, ...flag, durationMs: Number.parseInt(m[3] || '0', 36) });
  }
  return out;
}

/**
 * The ring after `attempt`, and what leaves it (to be written as one history item after the commit).
 */
export function appendAttempt(
  ring: string | null | undefined,
  attempt: Attempt,
): { readonly ring: string; readonly spilled: readonly Attempt[] } {
  const all = [...decodeAttempts(ring), attempt];
  if (all.length <= RING_CAPACITY) return { ring: encodeAttempts(all), spilled: [] };
  const spill = Math.max(RING_SPILL, all.length - RING_CAPACITY);
  return { ring: encodeAttempts(all.slice(spill)), spilled: all.slice(0, spill) };
}
