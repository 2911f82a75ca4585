import { DEFAULT_REAUTH_LEAD_SECONDS, type RefreshSettings } from '../domain/integration';
import { MAX_TIME_MS } from './limits';

/**
 * The two clocks of a grant (api.md v1.1), as pure functions:
 * - `refreshTokenExpiresAt`: when the current refresh token dies if unused. It slides with use, so
 *   it only ever schedules refreshes, never warns.
 * - `reauthDueAt`: the grant's hard end, which no refresh moves: the configured (integration or
 *   catalogue) grant lifetime counted from `authorizedAt`, or a fixed end detected when a rotation's
 *   `refresh_token_expires_in` stops moving the refresh token's expiry later.
 * Times are epoch ms.
 */
export interface GrantClocks {
  readonly refreshTokenExpiresAt: number | null;
  readonly reauthDueAt: number | null;
}

export interface ClocksAfterRefreshInput {
  readonly now: number;
  readonly settings: RefreshSettings;
  readonly authorizedAt: number;
  /** The clocks as stored before this refresh, and when the grant was last refreshed. */
  readonly previous: GrantClocks & { readonly lastRefreshAt: number | null };
  /** What the answer said about the refresh token's life (clamped), or null. */
  readonly answered: number | null;
  /** Whether the answer carried a new refresh token. */
  readonly rotated: boolean;
}

const DAY_MS = 86_400_000;
/** Below this between two refreshes, a sliding and a fixed expiry cannot be told apart. */
const MIN_DETECTION_ELAPSED_MS = 60_000;

/** The configured hard end of a grant authorized at `authorizedAt`, or null. */
export function configuredReauthDueAt(settings: RefreshSettings, authorizedAt: number): number | null {
  const lifetime = settings.grantLifetimeSeconds ?? null;
  return lifetime === null ? null : Math.min(authorizedAt + lifetime * 1000, MAX_TIME_MS);
}

/** The refresh token's expiry from its idle lifetime, counted from a use at `usedAt`. */
export function idleExpiry(settings: RefreshSettings, usedAt: number): number | null {
  const idle = settings.refreshTokenIdleSeconds ?? null;
  return idle === null ? null : Math.min(usedAt + idle * 1000, MAX_TIME_MS);
}

/** The clocks after a successful refresh at `now`. */
export function clocksAfterRefresh(input: ClocksAfterRefreshInput): GrantClocks {
  const { now, settings, previous, answered } = input;
  const refreshTokenExpiresAt =
    answered ?? idleExpiry(settings, now) ?? (input.rotated ? null : previous.refreshTokenExpiresAt);
  const configured = configuredReauthDueAt(settings, input.authorizedAt);
  if (configured !== null) return { refreshTokenExpiresAt, reauthDueAt: configured };
  return { refreshTokenExpiresAt, reauthDueAt: detectedEnd(input) };
}

/**
 * A provider that gives every rotated refresh token the same end (Salesforce-style absolute
 * lifetimes, GitHub Apps' 6 months counted from authorization) shows it when a later answer's
 * `refresh_token_expires_in` does not move the expiry later by about the time that passed: a sliding
 * lifetime moves it by all of it. A detected end that a later answer moves well past was sliding after all.
 */
function detectedEnd(input: ClocksAfterRefreshInput): number | null {
  const { now, previous, answered } = input;
  const kept = previous.reauthDueAt;
  if (answered === null) return kept;
  const elapsed = previous.lastRefreshAt === null ? 0 : now - previous.lastRefreshAt;
  if (kept !== null) return answered > kept + Math.max(MIN_DETECTION_ELAPSED_MS, elapsed / 2) ? null : kept;
  const before = previous.refreshTokenExpiresAt;
  if (before === null || elapsed < MIN_DETECTION_ELAPSED_MS) return null;
  return answered - before <= elapsed / 2 ? answered : null;
}

/** When `connection.reauth_due` is due for a grant ending at `reauthDueAt`. */
export function reauthWarningAt(settings: RefreshSettings, reauthDueAt: number): number {
  const lead = settings.reauthLeadSeconds ?? DEFAULT_REAUTH_LEAD_SECONDS;
  return reauthDueAt - lead * 1000;
}

/** True when the warning for this grant is due and was not written yet. */
export function reauthWarningDue(
  settings: RefreshSettings,
  clocks: GrantClocks,
  warned: boolean,
  now: number,
): boolean {
  return !warned && clocks.reauthDueAt !== null && now >= reauthWarningAt(settings, clocks.reauthDueAt);
}

/**
 * The latest a refresh may be scheduled given the clocks (null: no constraint): before the refresh
 * token dies unused (a margin of a day or the scheduling margin, at most half its remaining life,
 * so a failed attempt still has time), and the warning instant while it is ahead, so the scan wakes
 * the connection and the commit of that refresh writes the warning.
 */
export function clocksDeadline(
  settings: RefreshSettings,
  clocks: GrantClocks,
  warned: boolean,
  now: number,
): number | null {
  let deadline: number | null = null;
  const rt = clocks.refreshTokenExpiresAt;
  if (rt !== null) {
    const margin = Math.min(Math.max(settings.marginSeconds * 1000, DAY_MS), Math.max(0, rt - now) / 2);
    // A refresh token said to die within a minute is refreshed a minute on, not in a tight loop.
    deadline = Math.max(Math.floor(rt - margin), now + MIN_DETECTION_ELAPSED_MS);
  }
  if (!warned && clocks.reauthDueAt !== null) {
    const warnAt = reauthWarningAt(settings, clocks.reauthDueAt);
    if (warnAt > now) deadline = deadline === null ? warnAt : Math.min(deadline, warnAt);
  }
  return deadline;
}

/** `next` moved earlier to the clocks' deadline (never before `now`). */
export function withinClocks(next: number, deadline: number | null, now: number): number {
  if (deadline === null) return next;
  return Math.max(Math.ceil(now), Math.min(next, deadline));
}
