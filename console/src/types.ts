/** The API shapes the console reads (api.md v1 and v1.1); every v1.1 field is optional here. */

export type Status = 'active' | 'failing' | 'needs_reauth';

export interface LastError {
  readonly code: string;
  readonly message: string;
  readonly provider_error: string | null;
  readonly at: string;
}

export interface Connection {
  readonly integration_id: string;
  readonly connection_id: string;
  readonly provider: string;
  readonly status: Status;
  readonly access_token_expires_at: string | null;
  readonly last_refresh_at: string | null;
  readonly next_refresh_at: string | null;
  readonly consecutive_failures: number;
  readonly last_error: LastError | null;
  readonly metadata: Record<string, unknown>;
  readonly account_id?: string | null;
  readonly refresh_token_expires_at?: string | null;
  readonly reauth_due_at?: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface Page<T> {
  readonly items: T[];
  readonly next_cursor?: string | null;
}

export interface Integration {
  readonly integration_id: string;
  readonly provider: string;
  readonly client_id: string;
  readonly webhook_url?: string;
  readonly allow_account_change?: boolean;
  readonly updated_at: string;
}

export interface Health {
  readonly connections: { active: number; failing: number; needs_reauth: number };
  readonly failures_24h: Record<string, number>;
  readonly next_refresh_at: string | null;
  readonly refresh_latency_ms?: { p50: number | null; p95: number | null };
  readonly reauth_due_within_lead?: number;
}

export interface HistoryItem {
  readonly at: string;
  readonly kind: string;
  readonly trigger?: string;
  readonly outcome?: string;
  readonly error?: LastError | null;
  readonly duration_ms?: number;
  readonly from?: string;
  readonly to?: string;
  readonly event_id?: string;
  readonly delivery?: string;
  readonly count?: number;
  readonly day?: string;
}

export interface Provider {
  readonly provider: string;
  readonly display_name: string;
  readonly token_url: string | null;
  readonly client_auth: string | null;
  readonly rotates_refresh_token: boolean | null;
  readonly reuse_grace_seconds: number | null;
  readonly grant_lifetime_seconds: number | null;
  readonly refresh_token_idle_seconds: number | null;
  readonly quirks: string[];
  readonly sources: string[];
}

export interface ConnectSession {
  readonly authorization_url: string;
  readonly expires_at: string;
}
