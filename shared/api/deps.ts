import type { Config } from '../config/config';
import type { TokenReadCounter } from '../history/token-reads';
import type { TokenEndpoint } from '../oauth/types';
import type { ApiKeyStore } from '../ports/api-keys';
import type { Clock } from '../ports/clock';
import type { ConnectSessionStore } from '../ports/connect-sessions';
import type { EventPublisher } from '../ports/events';
import type { HealthReader } from '../ports/health';
import type { HistoryReader, HistoryRecorder } from '../ports/history';
import type { HttpTransport } from '../ports/http';
import type { IntegrationSource, IntegrationStore } from '../ports/integrations';
import type { Keyring } from '../ports/keyring';
import type { ConnectionListing } from '../ports/listing';
import type { Logger } from '../ports/logger';
import type { ConnectionStore } from '../ports/store';
import type { RefreshDeps } from '../refresh/types';

/** What the API routes may use: ports and the refresh use case's dependencies, nothing else. */
export interface ApiDeps {
  readonly config: Pick<Config, 'publicUrl' | 'allowPrivateUrls' | 'providerTimeoutMs'>;
  readonly store: ConnectionStore;
  /** Consistent reads of integrations (the admin API). */
  readonly integrationStore: IntegrationStore;
  /** Integrations with their client secrets, cached briefly (the refresh path). */
  readonly integrations: IntegrationSource;
  readonly listing: ConnectionListing;
  readonly health: HealthReader;
  readonly keyring: Keyring;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly refresh: RefreshDeps;
  /** api.md v1.1 connection history (absent: the ring in each connection alone). */
  readonly history?: HistoryRecorder & HistoryReader;
  /** Token reads counted per process, flushed at most once a minute. */
  readonly tokenReads?: TokenReadCounter;
  readonly apiKeys: ApiKeyStore;
  /** Connect-flow sessions (state → PKCE verifier, single use). */
  readonly sessions: ConnectSessionStore;
  /** Token endpoint transport for the connect flow's code exchange (SSRF-guarded, per `allowPrivateUrls`). */
  readonly tokenEndpoint: TokenEndpoint;
  /** Fetches providers' JWKS to check ID token signatures in the connect flow (SSRF-guarded). */
  readonly jwks: HttpTransport;
}
