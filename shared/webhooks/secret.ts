import { ServiceError } from '../errors';
import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import { parseWebhookSecret } from './signing';

/**
 * The webhook signing secret on AWS lives in Secrets Manager (`WEBHOOK_SECRET_ARN`). It is read
 * through the AWS Parameters and Secrets Lambda Extension, a layer the infra attaches to the
 * webhook sender: the extension answers GetSecretValue on localhost (port
 * `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`, 2773 by default) with its own cache, authenticated by
 * the function's session token. That needs no SDK client in the bundle; swapping in
 * `@aws-sdk/client-secrets-manager` later only replaces {@link fetchSecretString}.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html
 */
export const SECRETS_EXTENSION_DEFAULT_PORT = 2773;

export interface SecretFetchOptions {
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Where the port and session token come from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default 5000 */
  readonly timeoutMs?: number;
}

/**
 * The `SecretString` of a Secrets Manager secret, from the Lambda extension.
 * @throws ServiceError `config_invalid`: the extension refused (no such secret, access denied, no
 *   string value) or could not be reached (not attached, still starting). The message names the
 *   secret and the HTTP status, never the value.
 */
export async function fetchSecretString(secretId: string, options: SecretFetchOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const doFetch = options.fetch ?? globalThis.fetch;
  const port = env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? String(SECRETS_EXTENSION_DEFAULT_PORT);
  const token = env.AWS_SESSION_TOKEN;
  if (token === undefined || token === '') {
    throw new ServiceError('config_invalid', 'AWS_SESSION_TOKEN is not set: the secrets extension needs it');
  }
  const url = `http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`;
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: { 'X-Aws-Parameters-Secrets-Token': token },
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    });
  } catch (error) {
    throw new ServiceError(
      'config_invalid',
      `secret ${secretId}: the Parameters and Secrets extension is not reachable on port ${port}`,
      { cause: error },
    );
  }
  if (!response.ok) {
    // The body may echo request details; it never holds the value, but keep the message short.
    await response.body?.cancel();
    throw new ServiceError('config_invalid', `secret ${secretId}: the extension answered ${response.status}`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw new ServiceError('config_invalid', `secret ${secretId}: the extension answered malformed JSON`, {
      cause: error,
    });
  }
  const value = (body as { SecretString?: unknown } | null)?.SecretString;
  if (typeof value !== 'string' || value === '') {
    throw new ServiceError('config_invalid', `secret ${secretId} has no string value`);
  }
  return value;
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
 * The signing key for the webhook sender: `WEBHOOK_SECRET` when set (local runtime, tests), else
 * the Secrets Manager secret named by `WEBHOOK_SECRET_ARN` (AWS).
 * @throws ServiceError `config_invalid` when neither is set, or as {@link fetchSecretString} and
 *   {@link webhookKeyFromSecretString} do
 */
export async function loadWebhookKey(
  config: { readonly webhookSecret?: string | undefined; readonly webhookSecretArn?: string | undefined },
  options: SecretFetchOptions = {},
): Promise<Uint8Array> {
  if (config.webhookSecret !== undefined) return parseWebhookSecret(config.webhookSecret);
  if (config.webhookSecretArn !== undefined) {
    return webhookKeyFromSecretString(await fetchSecretString(config.webhookSecretArn, options));
  }
  throw new ServiceError(
    'config_invalid',
    'neither WEBHOOK_SECRET nor WEBHOOK_SECRET_ARN is set: webhooks cannot be signed',
  );
}

/** How long a loaded key is used before the secret is read again (the extension caches 5 min too). */
export const WEBHOOK_KEY_TTL_MS = 5 * 60_000;

/**
 * The signing key, re-read every {@link WEBHOOK_KEY_TTL_MS} so that a rotated secret takes effect
 * in running containers within minutes. A failed re-read keeps signing with the previous key (and
 * warns): a Secrets Manager hiccup must not stop deliveries. Only the first load can fail.
 */
export class WebhookKeyCache {
  private key: Uint8Array | undefined;
  private loadedAt = 0;
  private loading: Promise<Uint8Array> | undefined;

  constructor(
    private readonly config: Parameters<typeof loadWebhookKey>[0],
    private readonly deps: {
      readonly clock: Pick<Clock, 'now'>;
      readonly logger: Logger;
      readonly ttlMs?: number;
      readonly fetchOptions?: SecretFetchOptions;
    },
  ) {}

  /** @throws as {@link loadWebhookKey}, on the first load only */
  get(): Promise<Uint8Array> {
    const now = this.deps.clock.now();
    if (this.key !== undefined && now - this.loadedAt < (this.deps.ttlMs ?? WEBHOOK_KEY_TTL_MS)) {
      return Promise.resolve(this.key);
    }
    this.loading ??= this.reload(now).finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async reload(now: number): Promise<Uint8Array> {
    try {
      this.key = await loadWebhookKey(this.config, this.deps.fetchOptions);
    } catch (error) {
      if (this.key === undefined) throw error;
      this.deps.logger.warn('could not re-read the webhook signing secret; signing with the previous key', {
        error: error instanceof Error ? error.message : 'unknown',
      });
    }
    this.loadedAt = now;
    return this.key;
  }
}
