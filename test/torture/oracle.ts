// The oracle: what must hold after every schedule (reliability.md promises 1–28), judged from the
// provider's own record (which grants it revoked and why, which rotations reached the service), the
// connection's write log, the published events and everything the service wrote out.
import type { OutboxEvent } from '../../shared/domain/events';
import type { StoredConnection } from '../../shared/ports/store';
import type { FakeProvider, Family } from '../support/fake-provider';

export interface Violation {
  readonly kind: string;
  readonly detail: string;
  /** The step (1-based) it was seen at; 0 for the end-of-schedule checks. */
  readonly step: number;
}

/** One successful write of the connection item (or its delete), as the SDK middleware saw it. */
export interface WriteRecord {
  readonly seq: number;
  readonly kind: 'update' | 'delete';
  readonly connection: StoredConnection | null;
  readonly lost: boolean;
  /** Written while the incarnation had no grant (imported without a refresh token). */
  readonly grantless: boolean;
}

/** What the end-of-schedule checks look at. */
export interface EndState {
  readonly provider: FakeProvider;
  /** The grant the current incarnation was given (null: imported without a refresh token). */
  readonly grant: Family | null;
  readonly now: number;
  readonly writes: readonly WriteRecord[];
  readonly published: readonly OutboxEvent[];
  /** Every log line and metric written during the schedule. */
  readonly logs: string;
  readonly apiBodies: readonly string[];
  readonly queueMessages: readonly string[];
  readonly clientSecrets: readonly string[];
}

/**
 * Collects violations. A grant counts as lost (once) when the service, not the provider, made it
 * unusable: a rotated token presented again although its successor reached a live worker, a
 * stored token that is not the provider's latest, a dropped or foreign refresh token, or a
 * `needs_reauth` the provider did not cause.
 */
export class Oracle {
  readonly violations: Violation[] = [];
  /** The step being run (0 after the last one). */
  step = 0;

  violate(kind: string, detail: string): void {
    this.violations.push({ kind, detail, step: this.step });
  }

  readonly lostGrants = new Set<number>();

  lose(family: Family, kind: string, detail: string): void {
    if (!this.lostGrants.has(family.id)) {
      this.lostGrants.add(family.id);
      this.violate(kind, detail);
    }
  }

  /** A rotated refresh token presented again to a strict provider, where nobody died or froze. */
  checkReuse(s: EndState): void {
    for (const family of s.provider.families) {
      if (family.revoked?.reason !== 'reuse') continue;
      const rotation = family.rotations.find((r) => r.from === family.revoked?.token);
      if (rotation === undefined || !rotation.delivered || rotation.excused !== null) continue;
      this.lose(
        family,
        'rotated_token_reused',
        `grant ${family.id}: a rotated refresh token was presented again after its successor was delivered to ${rotation.client} (rotation ${rotation.id})`,
      );
    }
  }

  /** The connection as the schedule left it: its grant, its tokens, its schedule, its lease, its outbox. */
  checkFinal(s: EndState, final: StoredConnection, refreshToken: string | null): void {
    const now = s.now;
    const grant = s.grant;
    if (grant !== null) {
      const holder = refreshToken === null ? undefined : s.provider.familyOf(refreshToken);
      if (refreshToken === null) {
        if (grant.revoked === null)
          this.lose(grant, 'refresh_token_dropped', `grant ${grant.id}: the stored refresh token is gone`);
      } else if (holder !== grant) {
        this.lose(
          grant,
          'foreign_grant',
          `grant ${grant.id}: the connection holds tokens of grant ${holder?.id ?? '?'} (an old incarnation's worker committed over it)`,
        );
      } else if (grant.revoked === null && refreshToken !== grant.current) {
        const rotation = grant.rotations.find((r) => r.from === refreshToken);
        if (rotation?.delivered && rotation.excused === null) {
          this.lose(
            grant,
            'stale_refresh_token',
            `grant ${grant.id}: stored refresh token is not the provider's latest (rotation ${rotation.id} delivered to ${rotation.client} was never stored)`,
          );
        }
      }
      if (final.status === 'needs_reauth' && grant.revoked === null && refreshToken === grant.current) {
        const code = final.lastError?.code ?? null;
        if (code === 'client_misconfigured') {
          this.lose(
            grant,
            'client_misconfigured_reauth',
            `grant ${grant.id}: client_misconfigured moved a connection with a good grant to needs_reauth`,
          );
        } else if (code === 'revoked' || code === null) {
          this.lose(
            grant,
            'grant_abandoned',
            `grant ${grant.id}: needs_reauth (${code}) though the provider still honours the grant`,
          );
        }
      }
    }
    if (final.status !== 'needs_reauth' && refreshToken !== null && final.nextRefreshAt === null) {
      this.violate('not_due', `a ${final.status} connection with a refresh token has no next refresh time`);
    }
    // Ten years (a day's slack for worker clocks that run ahead of the reference).
    const horizon = now + 10 * 365 * 86_400_000 + 86_400_000;
    for (const [name, value] of [
      ['access_token_expires_at', final.accessTokenExpiresAt],
      ['next_refresh_at', final.nextRefreshAt],
      ['lease_until', final.leaseUntil],
    ] as const) {
      if (value !== null && (!Number.isSafeInteger(value) || value > horizon)) {
        this.violate(
          'provider_time_unclamped',
          `${name} is ${value} (beyond ten years or not a safe integer)`,
        );
      }
    }
    if (final.leaseUntil !== null && final.leaseUntil > now + 60_000) {
      this.violate(
        'lease_stuck',
        `lease_until ${final.leaseUntil - now} ms ahead after every flight settled`,
      );
    }
    if (final.outbox.length > 0)
      this.violate('outbox_not_drained', `${final.outbox.length} event(s) left in the outbox`);
  }

  /** Each status change of the item comes with exactly one event of the right type; every event is published. */
  checkTransitions(s: EndState): void {
    const published = new Map(s.published.map((e) => [e.id, e]));
    const seen = new Set<string>();
    let previous: StoredConnection | null = null;
    const incarnations: WriteRecord[][] = [[]];
    for (const w of s.writes) {
      if (w.kind === 'delete') incarnations.push([]);
      else if (w.connection !== null) incarnations[incarnations.length - 1]?.push(w);
    }
    for (const writes of incarnations) {
      previous = null;
      const versions = new Map<number, StoredConnection>();
      const ordered = [...writes].sort(
        (a, b) => (a.connection?.version ?? 0) - (b.connection?.version ?? 0) || a.seq - b.seq,
      );
      for (const w of ordered) {
        const c = w.connection as StoredConnection;
        const twin = versions.get(c.version);
        if (twin !== undefined && twin.credentialGeneration !== c.credentialGeneration) {
          this.violate(
            'version_reused',
            `two writes of one incarnation share version ${c.version} with different credentials`,
          );
        }
        versions.set(c.version, c);
        const fresh = c.outbox.filter((e) => !seen.has(e.id));
        for (const e of c.outbox) seen.add(e.id);
        const from = previous?.status ?? null;
        if (from !== null && from !== c.status) {
          const expected =
            c.status === 'needs_reauth'
              ? ['connection.reauth_required']
              : c.status === 'failing'
                ? ['connection.refresh_failed']
                : from === 'failing'
                  ? ['connection.recovered', 'connection.reauthorized']
                  : ['connection.reauthorized'];
          const types = fresh.map((e) => e.body.type);
          if (types.length !== 1 || !expected.includes(types[0] as string)) {
            this.violate(
              'transition_events',
              `${from} → ${c.status} wrote events [${types.join(', ')}], expected one of ${expected.join('/')}`,
            );
          }
          if (c.status === 'needs_reauth') this.checkReauthWhileValid(w, c);
          if (c.status === 'needs_reauth' && c.lastError?.code === 'client_misconfigured') {
            this.violate(
              'client_misconfigured_reauth',
              'client_misconfigured moved the connection to needs_reauth (an integration problem, not the grant)',
            );
          }
        } else if (
          fresh.some((e) => (e.body.type as string) !== 'connection.reauth_due') &&
          previous !== null
        ) {
          this.violate(
            'transition_events',
            `a write without a status change (${c.status}) added events [${fresh.map((e) => e.body.type).join(', ')}]`,
          );
        }
        previous = c;
      }
    }
    // Events of the current incarnation must all be published (a deleted one takes its outbox along).
    const last = incarnations[incarnations.length - 1] ?? [];
    const current = new Set(last.flatMap((w) => w.connection?.outbox.map((e) => e.id) ?? []));
    for (const id of current) {
      if (!published.has(id))
        this.violate('event_not_published', `event ${id} was written but never published`);
    }
  }

  /** A connection without a refresh token is never refreshed: it becomes needs_reauth only once its token expired. */
  private checkReauthWhileValid(write: WriteRecord, c: StoredConnection): void {
    const at = c.lastError === null ? null : Date.parse(c.lastError.at);
    // Two seconds of slack: the transition is stamped by a worker clock that may run behind.
    if (at === null || c.accessTokenExpiresAt === null || c.accessTokenExpiresAt <= at + 2_000) return;
    if (!write.grantless) return;
    this.violate(
      'no_refresh_token_refreshed',
      'a connection without refresh token went to needs_reauth while its access token was valid',
    );
  }

  checkSecrets(s: EndState): void {
    const logs = s.logs;
    const events = JSON.stringify(s.published.map((e) => e.body));
    const api = s.apiBodies.join('\n');
    const queue = s.queueMessages.join('\n');
    const all = [...s.provider.issued, ...s.clientSecrets];
    for (const secret of all) {
      const refresh = secret.startsWith('rt_') || secret.startsWith('cs_');
      if (logs.includes(secret))
        this.violate('secret_leak', `a ${secret.slice(0, 2)} secret appeared in a log line or metric`);
      if (queue.includes(secret))
        this.violate('secret_leak', `a ${secret.slice(0, 2)} secret appeared in a queue message`);
      if (events.includes(secret))
        this.violate('secret_leak', `a ${secret.slice(0, 2)} secret appeared in a webhook body`);
      if (refresh && api.includes(secret))
        this.violate('secret_leak', `a ${secret.slice(0, 2)} secret appeared in an API response`);
    }
  }
}
