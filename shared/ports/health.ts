import type { ConnectionStatus } from '../domain/connection';

/** The few attributes of a connection the integration health answer needs. */
export interface HealthRow {
  readonly status: ConnectionStatus;
  readonly nextRefreshAt: number | null;
  readonly reauthDueAt: number | null;
  readonly attemptRing: string | null;
}

/** The connections of one integration, as `GET /v1/integrations/{id}/health` counts them. */
export interface HealthReader {
  /** `truncated` when the integration has more connections than one answer reads. */
  rows(integrationId: string): Promise<{ rows: HealthRow[]; truncated: boolean }>;
}
