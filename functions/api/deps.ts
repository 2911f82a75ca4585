import { DynamoApiKeyStore } from '../../shared/adapters/aws/dynamodb/api-keys';
import { DynamoConnectSessionStore } from '../../shared/adapters/aws/dynamodb/connect-sessions';
import { DynamoHealthReader } from '../../shared/adapters/aws/dynamodb/health';
import { DynamoConnectionListing } from '../../shared/adapters/aws/dynamodb/listing';
import { createTokenEndpoint } from '../../shared/adapters/http/token-client';
import { createHttpTransport } from '../../shared/adapters/http/transport';
import type { ApiDeps } from '../../shared/api/deps';
import { type Config, loadConfig } from '../../shared/config/config';
import { TOKEN_READS_FLUSH_MS, TokenReadCounter } from '../../shared/history/token-reads';
import {
  type BaseOverrides,
  createBase,
  createRefreshDeps,
  createSecrets,
  perContainer,
  type Root,
} from '../compose';

/** The api function's dependencies (ports), its clients and `dispose`. */
export interface ApiRoot extends ApiDeps, Root {}

/** The api function's composition root: the API's ports on the adapters `config` selects. */
export async function createApiRoot(config: Config, overrides: BaseOverrides = {}): Promise<ApiRoot> {
  const base = createBase(config, overrides);
  const secrets = await createSecrets(config, base);
  const { clock, logger, store, integrationStore, history, publisher } = base;
  const { keyring, integrations } = secrets;
  const tokenReads = new TokenReadCounter(history, clock, logger);
  // While the process lives, pending token-read counts are written within a minute.
  const flush = setInterval(() => void tokenReads.flush(), TOKEN_READS_FLUSH_MS).unref();
  const allowPrivate = config.allowPrivateUrls;
  const jwks = createHttpTransport({ allowPrivate });
  return {
    config,
    store,
    integrationStore,
    integrations,
    listing: new DynamoConnectionListing(base.dynamo, config.tableName, keyring),
    health: new DynamoHealthReader(base.dynamo, config.tableName),
    keyring,
    publisher,
    clock,
    logger,
    history,
    tokenReads,
    refresh: createRefreshDeps({
      ...base,
      ...secrets,
      providerTimeoutMs: config.providerTimeoutMs,
      allowPrivateUrls: allowPrivate,
    }),
    apiKeys: new DynamoApiKeyStore(base.dynamo, config.tableName, clock, {
      bootstrapAdminSha256: config.adminApiKeySha256,
    }),
    sessions: new DynamoConnectSessionStore(base.dynamo, config.tableName, keyring, clock),
    tokenEndpoint: createTokenEndpoint({ allowPrivateUrls: allowPrivate }),
    jwks,
    clients: base.clients,
    dispose: () => {
      clearInterval(flush);
      jwks.close();
      base.dispose();
    },
  };
}

/** This container's root, built on the first request from the environment. */
export const apiRoot = perContainer(() => createApiRoot(loadConfig()));
