import { sqsRedelivery } from '../../shared/adapters/aws/sqs';
import { type SecretSource, WebhookKeyCache } from '../../shared/adapters/aws/webhook-secret';
import { createHttpTransport } from '../../shared/adapters/http/transport';
import { type Config, loadConfig } from '../../shared/config/config';
import { WebhookDestinations, type WebhookSenderDeps } from '../../shared/webhooks/sender';
import { type BaseOverrides, createBase, perContainer, type Root } from '../compose';

export interface WebhookSenderRoot extends Root {
  /** The sender's dependencies with the signing keys current for this batch (rotation). */
  deps(): Promise<WebhookSenderDeps>;
}

/**
 * The webhook sender's composition root. Signing keys: `WEBHOOK_SECRET` locally; on AWS the Secrets
 * Manager secret of `WEBHOOK_SECRET_ARN`, re-read every few minutes. A failed first read is not
 * kept: the next batch tries again.
 */
export async function createWebhookSenderRoot(
  config: Config,
  overrides: BaseOverrides & { readonly secrets?: SecretSource } = {},
): Promise<WebhookSenderRoot> {
  const base = createBase(config, overrides);
  const { clock, logger } = base;
  const keys = new WebhookKeyCache(config, {
    clock,
    logger,
    ...(overrides.secrets === undefined ? {} : { source: overrides.secrets }),
  });
  let current: WebhookSenderDeps | undefined;
  return {
    async deps() {
      const key = await keys.get();
      if (current?.key !== key) {
        current = {
          key,
          defaultUrl: config.webhookUrl,
          allowPrivateUrls: config.allowPrivateUrls,
          firstRetryDelaySeconds: config.webhookRetryFirstDelaySeconds,
          destinations: current?.destinations ?? new WebhookDestinations(base.integrationStore, clock),
          redelivery: sqsRedelivery(base.sqs, config.webhookQueueUrl),
          transport: current?.transport ?? createHttpTransport({ allowPrivate: config.allowPrivateUrls }),
          clock,
          logger,
          metrics: base.metrics,
          history: base.history,
        };
      }
      return current;
    },
    clients: base.clients,
    dispose: () => {
      base.dispose();
      current?.transport.close();
    },
  };
}

/** This container's root, built on the first batch from the environment. */
export const webhookSenderRoot = perContainer(() => createWebhookSenderRoot(loadConfig()));
