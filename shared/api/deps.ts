import { createTokenEndpoint, type TokenEndpoint } from '../oauth/client';
import type { Runtime } from '../runtime';
import { DynamoApiKeyStore } from '../store/api-keys';
import { DynamoConnectSessionStore } from '../store/connect-sessions';

/** What the API routes use: the process runtime plus the API's own stores. */
export interface ApiDeps {
  readonly rt: Runtime;
  readonly apiKeys: DynamoApiKeyStore;
  /** Connect-flow sessions (state → PKCE verifier, single use). */
  readonly sessions: DynamoConnectSessionStore;
  /** Token endpoint transport for the connect flow's code exchange (SSRF-guarded, per `allowPrivateUrls`). */
  readonly tokenEndpoint: TokenEndpoint;
}

/** Builds the API's dependencies once per runtime (the key store caches lookups per process). */
export function createApiDeps(rt: Runtime): ApiDeps {
  return {
    rt,
    apiKeys: new DynamoApiKeyStore(rt.dynamo, rt.config.tableName, rt.clock, {
      bootstrapAdminSha256: rt.config.adminApiKeySha256,
    }),
    sessions: new DynamoConnectSessionStore(rt.dynamo, rt.config.tableName, rt.keyring, rt.clock),
    tokenEndpoint: createTokenEndpoint({ allowPrivateUrls: rt.config.allowPrivateUrls }),
  };
}
