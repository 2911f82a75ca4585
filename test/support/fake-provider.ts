// An in-process OAuth token endpoint behind the service's own HttpTransport port: no socket, no real
// time, so a randomised schedule can make hundreds of provider calls in milliseconds. It keeps
// refresh-token families like a real rotating provider and remembers WHY a family was revoked (a
// reused rotated token, or an explicit revocation), and whether each rotation's answer reached the
// client, so an oracle can tell a grant lost by the service from one lost by the provider.
import { randomBytes } from 'node:crypto';
import type { HttpRequestInit, HttpResponse, HttpTransport } from '../../shared/ports/http';
import { HttpTransportError } from '../../shared/ports/http';

/** How the provider treats refresh tokens. */
export type RotationMode =
  /** Every refresh rotates; presenting a retired token revokes the whole family (RFC 9700 §4.14.2). */
  | 'strict'
  /** Rotates; the previous token stays usable for `graceSeconds` after its rotation. */
  | 'grace'
  /** Never rotates; answers omit `refresh_token`. */
  | 'non_rotating'
  /** Never rotates; answers repeat the same `refresh_token`. */
  | 'echo';

/** A one-shot misbehaviour for the next token request. */
export type ProviderFault =
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'rate_limited'; readonly retryAfter: string }
  /** The provider processes the grant (rotating) but the client's deadline fires first. */
  | { readonly kind: 'slow_past_timeout' }
  /** The provider processes the grant (rotating), then the connection drops before the answer. */
  | { readonly kind: 'rotate_then_drop' }
  /** Connection refused: provably never sent. */
  | { readonly kind: 'connect_refused' }
  /** 200 with a body that is not a token response. */
  | { readonly kind: 'garbage'; readonly body: string }
  /** A normal (rotating) success whose numbers are absurd. */
  | {
      readonly kind: 'absurd';
      readonly field: 'expires_in' | 'expires_at' | 'jwt_exp' | 'refresh_token_expires_in';
      readonly value: number | string;
    };

export interface Rotation {
  readonly id: number;
  readonly from: string;
  readonly to: string;
  /** Whether the answer carrying `to` reached the client. */
  delivered: boolean;
  /** Which client (worker) the answer was for. */
  readonly client: string;
  /** Set by the harness when the receiver died or froze before it could store `to`. */
  excused: string | null;
}

export interface Family {
  readonly id: number;
  current: string;
  previous: { token: string; rotatedAt: number } | null;
  revoked: null | { readonly reason: 'reuse' | 'provider'; readonly token: string; readonly at: number };
  readonly rotations: Rotation[];
  /** Every refresh token this family ever had, oldest first. */
  readonly tokens: string[];
}

export interface ProviderCall {
  readonly client: string;
  readonly presented: string | null;
  readonly fault: ProviderFault['kind'] | null;
  readonly outcome: string;
  readonly at: number;
  readonly retryAfter: string | null;
}

export interface FakeProviderOptions {
  readonly rotation: RotationMode;
  readonly graceSeconds?: number;
  readonly clientId: string;
  clientSecret: string;
  readonly accessTokenTtlSeconds?: number;
  /** The provider's clock (epoch ms). */
  readonly now: () => number;
}

/** The provider's state; `transport(client)` gives each worker its own view of the wire. */
export class FakeProvider {
  readonly families: Family[] = [];
  readonly calls: ProviderCall[] = [];
  /** Every secret the provider handed out (access and refresh tokens). */
  readonly issued = new Set<string>();
  private readonly byToken = new Map<string, Family>();
  private readonly faults: ProviderFault[] = [];
  private counter = 0;
  private readonly tag = randomBytes(3).toString('hex');

  constructor(readonly options: FakeProviderOptions) {}

  mintFamily(): string {
    const token = this.token('rt');
    const family: Family = {
      id: this.families.length + 1,
      current: token,
      previous: null,
      revoked: null,
      rotations: [],
      tokens: [token],
    };
    this.families.push(family);
    this.byToken.set(token, family);
    return token;
  }

  familyOf(refreshToken: string): Family | undefined {
    return this.byToken.get(refreshToken);
  }

  /** The provider revokes a grant on its own (the user disconnected the app): not the service's fault. */
  revoke(family: Family): void {
    if (family.revoked === null)
      family.revoked = { reason: 'provider', token: family.current, at: this.options.now() };
  }

  /** Queues a misbehaviour for the next request (FIFO). */
  inject(fault: ProviderFault): void {
    this.faults.push(fault);
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  accessToken(): string {
    return this.token('at');
  }

  private token(prefix: 'rt' | 'at'): string {
    this.counter += 1;
    const value = `${prefix}_${this.tag}_${this.counter}_${randomBytes(6).toString('hex')}`;
    this.issued.add(value);
    return value;
  }

  /** An HttpTransport for one client (worker). */
  transport(client: string): HttpTransport {
    return {
      request: (url, init) => this.handle(client, url, init),
      close: () => undefined,
    };
  }

  private async handle(client: string, _url: string, init: HttpRequestInit): Promise<HttpResponse> {
    const fault = this.faults.shift() ?? null;
    const at = this.options.now();
    if (fault?.kind === 'connect_refused') {
      init.onState?.('connecting');
      this.calls.push({
        client,
        presented: null,
        fault: fault.kind,
        outcome: 'refused',
        at,
        retryAfter: null,
      });
      throw new HttpTransportError(
        Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
        null,
      );
    }
    init.onState?.('connecting');
    init.onState?.('sent');
    const form = new URLSearchParams(init.body ?? '');
    const presented = form.get('refresh_token');
    const record = (outcome: string, retryAfter: string | null = null) =>
      this.calls.push({ client, presented, fault: fault?.kind ?? null, outcome, at, retryAfter });

    if (fault?.kind === 'status') {
      record(`http_${fault.status}`);
      return reply(fault.status, { error: 'temporarily_unavailable' });
    }
    if (fault?.kind === 'rate_limited') {
      record('rate_limited', fault.retryAfter);
      return reply(429, { error: 'rate_limited' }, { 'retry-after': fault.retryAfter });
    }
    if (fault?.kind === 'garbage') {
      record('garbage');
      return { status: 200, headers: new Headers({ 'content-type': 'text/html' }), bodyText: fault.body };
    }
    if (!this.clientAuthenticated(init, form)) {
      record('invalid_client');
      return reply(401, { error: 'invalid_client' });
    }
    if (form.get('grant_type') !== 'refresh_token' || presented === null) {
      record('invalid_request');
      return reply(400, { error: 'invalid_request' });
    }
    const family = this.byToken.get(presented);
    if (family === undefined) {
      record('invalid_grant_unknown');
      return reply(400, { error: 'invalid_grant', error_description: 'unknown refresh token' });
    }
    if (family.revoked !== null) {
      record('invalid_grant_revoked');
      return reply(400, { error: 'invalid_grant', error_description: 'grant revoked' });
    }
    const rotating = this.options.rotation === 'strict' || this.options.rotation === 'grace';
    let refreshToken: string | undefined;
    let rotation: Rotation | null = null;
    if (!rotating) {
      if (presented !== family.current) {
        record('invalid_grant_stale');
        return reply(400, { error: 'invalid_grant' });
      }
      refreshToken = this.options.rotation === 'echo' ? presented : undefined;
    } else if (presented === family.current) {
      const next = this.token('rt');
      family.previous = { token: presented, rotatedAt: at };
      family.current = next;
      family.tokens.push(next);
      this.byToken.set(next, family);
      rotation = {
        id: family.rotations.length + 1,
        from: presented,
        to: next,
        delivered: false,
        client,
        excused: null,
      };
      family.rotations.push(rotation);
      refreshToken = next;
    } else if (
      this.options.rotation === 'grace' &&
      family.previous?.token === presented &&
      at - family.previous.rotatedAt < (this.options.graceSeconds ?? 30) * 1000
    ) {
      refreshToken = family.current;
    } else {
      family.revoked = { reason: 'reuse', token: presented, at };
      record('invalid_grant_reuse');
      return reply(400, { error: 'invalid_grant', error_description: 'refresh token reused; grant revoked' });
    }

    if (fault?.kind === 'slow_past_timeout' || fault?.kind === 'rotate_then_drop') {
      record(fault.kind);
      const code = fault.kind === 'slow_past_timeout' ? 'ABORT_ERR' : 'ECONNRESET';
      const cause = Object.assign(new Error(fault.kind), {
        code,
        name: code === 'ABORT_ERR' ? 'AbortError' : 'Error',
      });
      throw new HttpTransportError(cause, null);
    }
    const body: Record<string, unknown> = {
      access_token: this.token('at'),
      token_type: 'Bearer',
      expires_in: this.options.accessTokenTtlSeconds ?? 3600,
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    };
    if (fault?.kind === 'absurd') {
      if (fault.field === 'jwt_exp') {
        body.access_token = fakeJwt({ exp: fault.value, jti: randomBytes(6).toString('hex') });
        this.issued.add(body.access_token as string);
        delete body.expires_in;
      } else {
        if (fault.field === 'expires_at') delete body.expires_in;
        body[fault.field] = fault.value;
      }
    }
    if (rotation !== null) rotation.delivered = true;
    record(fault?.kind === 'absurd' ? `ok_absurd_${fault.field}` : 'ok');
    return reply(200, body);
  }

  private clientAuthenticated(init: HttpRequestInit, form: URLSearchParams): boolean {
    const auth = Object.entries(init.headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
    let id: string | null = form.get('client_id');
    let secret: string | null = form.get('client_secret');
    if (auth?.toLowerCase().startsWith('basic ')) {
      const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      id = decodeURIComponent(decoded.slice(0, i).replace(/\+/g, ' '));
      secret = decodeURIComponent(decoded.slice(i + 1).replace(/\+/g, ' '));
    }
    return id === this.options.clientId && secret === this.options.clientSecret;
  }
}

function reply(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: new Headers({ 'content-type': 'application/json', ...headers }),
    bodyText: JSON.stringify(body),
  };
}

/** An unsigned compact JWS with the given claims (the service reads `exp` unverified). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.${randomBytes(8).toString('base64url')}`;
}
