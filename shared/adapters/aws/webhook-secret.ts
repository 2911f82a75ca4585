import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ServiceError } from '../../errors';
import type { Clock } from '../../ports/clock';
import type { Logger } from '../../ports/logger';
import { parseWebhookSecret, type WebhookSigningKeys } from '../../webhooks/signing';

/**
 * The webhook signing secret on AWS lives in Secrets Manager (`WEBHOOK_SECRET_ARN`) and is read
 * with Powertools Parameters (`SecretsProvider.get` with a max age): one cache, in the function,
 * so a rotated secret is used at most {@link WEBHOOK_SECRET_MAX_AGE_SECONDS} after it was put.
 *
 * Rotation window: while the secret has an `AWSPREVIOUS` version (Secrets Manager moves the old
 * value there on `put-secret-value`), every delivery carries two signatures, one per secret
 * (Standard Webhooks: space-separated `v1,<sig>` entries), so receivers may switch to the new
 * secret at any time. Removing the `AWSPREVIOUS` stage ends the window (infra/DEPLOY.md).
 */
export const WEBHOOK_SECRET_MAX_AGE_SECONDS = 300;

/** The version stages the sender signs with: the current secret, and the old one during a rotation. */
export type SecretStage = 'AWSCURRENT' | 'AWSPREVIOUS';

/** Reads one version stage of a secret; `undefined` when the secret has no version in that stage. */
export interface SecretSource {
  read(secretId: string, stage: SecretStage): Promise<string | undefined>;
}

/**
 * Powertools Parameters over Secrets Manager. Powertools caches by name (not by SDK options), so
 * each stage has its own provider (own cache) over one shared SDK client, created on first use.
 */
export function powertoolsSecretSource(maxAgeSeconds = WEBHOOK_SECRET_MAX_AGE_SECONDS): SecretSource {
  let providers: Record<SecretStage, SecretsProvider> | undefined;
  return {
    async read(secretId, stage) {
      if (providers === undefined) {
        const awsSdkV3Client = new SecretsManagerClient({});
        providers = {
          AWSCURRENT: new SecretsProvider({ awsSdkV3Client }),
          AWSPREVIOUS: new SecretsProvider({ awsSdkV3Client }),
        };
      }
      try {
        const value = await providers[stage].get(secretId, {
          maxAge: maxAgeSeconds,
          sdkOptions: { VersionStage: stage },
        });
        return typeof value === 'string' ? value : undefined;
      } catch (error) {
        const cause = (error as { cause?: { name?: unknown } } | null)?.cause;
        if (cause?.name === 'ResourceNotFoundException' && stage === 'AWSPREVIOUS') return undefined;
        // SDK messages name the secret and the reason (AccessDenied, …), never its value.
        throw new ServiceError(
          'config_invalid',
          `secret ${secretId} (${stage}): ${error instanceof Error ? error.message : 'unreadable'}`,
          { cause: error },
        );
      }
    },
  };
}

/**
 * The HMAC key of a stored signing secret. Accepts `whsec_<base64>` or the bare base64 part (what
 * Secrets Manager's generator produces: the infra generates 44 alphanumeric characters, i.e. 33
 * bytes of key). Receivers configure the same value; Standard Webhooks libraries accept both forms.
 * @throws ServiceError `config_invalid` when it is not a valid secret (the message never holds it)
 */
export function webhookKeyFromSecretString(value: string): Uint8Array {
  const trimmed = value.trim();
  return parseWebhookSecret(trimmed.startsWith('whsec_') ? trimmed : `whsec_${trimmed}`);
}

/**
 * The signing keys for the webhook sender: `WEBHOOK_SECRET` when set (local runtime, tests), else
 * the Secrets Manager secret named by `WEBHOOK_SECRET_ARN` (AWS): its current version first, then
 * its previous one while a rotation window is open.
 * @throws ServiceError `config_invalid` when neither is set, the current secret cannot be read or
 *   is not a valid key
 */
export async function loadWebhookKeys(
  config: { readonly webhookSecret?: string | undefined; readonly webhookSecretArn?: string | undefined },
  source: SecretSource,
): Promise<readonly Uint8Array[]> {
  if (config.webhookSecret !== undefined) return [parseWebhookSecret(config.webhookSecret)];
  const arn = config.webhookSecretArn;
  if (arn === undefined) {
    throw new ServiceError(
      'config_invalid',
      'neither WEBHOOK_SECRET nor WEBHOOK_SECRET_ARN is set: webhooks cannot be signed',
    );
  }
  const [current, previous] = await Promise.all([
    source.read(arn, 'AWSCURRENT'),
    source.read(arn, 'AWSPREVIOUS'),
  ]);
  if (current === undefined || current === '') {
    throw new ServiceError('config_invalid', `secret ${arn} has no string value`);
  }
  const keys = [webhookKeyFromSecretString(current)];
  if (previous !== undefined && previous !== '' && previous.trim() !== current.trim()) {
    try {
      keys.push(webhookKeyFromSecretString(previous));
    } catch {
      // An unusable old value must not stop signing with the current one.
    }
  }
  return keys;
}

/** How long the cache waits after a failed re-read before it asks Secrets Manager again. */
export const WEBHOOK_SECRET_RETRY_MS = 60_000;

/**
 * The signing keys for each batch. The only cache is Powertools' (max age), so a rotated secret
 * takes effect within {@link WEBHOOK_SECRET_MAX_AGE_SECONDS}. A failed re-read keeps signing with
 * the last keys (and warns, then waits {@link WEBHOOK_SECRET_RETRY_MS}): a Secrets Manager hiccup
 * must not stop deliveries. Only the first load can fail. The same array is returned while the
 * keys are unchanged.
 */
export class WebhookKeyCache {
  private keys: readonly Uint8Array[] | undefined;
  private retryAt = 0;
  private loading: Promise<WebhookSigningKeys> | undefined;

  constructor(
    private readonly config: Parameters<typeof loadWebhookKeys>[0],
    private readonly deps: {
      readonly clock: Pick<Clock, 'now'>;
      readonly logger: Logger;
      /** @default powertoolsSecretSource() */
      readonly source?: SecretSource;
    },
  ) {}

  private sourceInstance: SecretSource | undefined;

  /** @throws as {@link loadWebhookKeys}, on the first load only */
  get(): Promise<WebhookSigningKeys> {
    if (this.keys !== undefined && this.deps.clock.now() < this.retryAt) return Promise.resolve(this.keys);
    this.loading ??= this.reload().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async reload(): Promise<WebhookSigningKeys> {
    this.sourceInstance ??= this.deps.source ?? powertoolsSecretSource();
    try {
      const keys = await loadWebhookKeys(this.config, this.sourceInstance);
      if (this.keys === undefined || !sameKeys(this.keys, keys)) this.keys = keys;
    } catch (error) {
      if (this.keys === undefined) throw error;
      this.retryAt = this.deps.clock.now() + WEBHOOK_SECRET_RETRY_MS;
      this.deps.logger.warn('could not re-read the webhook signing secret; signing with the previous keys', {
        error: error instanceof ServiceError ? error.code : 'unknown',
      });
    }
    return this.keys;
  }
}

function sameKeys(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((key, i) => Buffer.compare(key, b[i] as Uint8Array) === 0);
}
