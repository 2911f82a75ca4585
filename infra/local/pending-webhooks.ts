import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type MessageAttributeValue, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { InspectedMessage, LocalQueues, LocalSqs, QueueNames } from './sqs';

export const PENDING_WEBHOOKS_FILE = 'pending-webhooks.json';

interface SavedMessage {
  readonly body: string;
  /** As fauxqs keeps them (binary values base64). The pipeline sends none today. */
  readonly attributes?: InspectedMessage['messageAttributes'];
}

interface PendingFile {
  readonly version: 1;
  readonly saved_at: string;
  readonly webhooks: SavedMessage[];
  readonly webhooks_dlq: SavedMessage[];
}

/**
 * fauxqs keeps messages in memory only, so at a clean stop the webhook queue and its DLQ (events
 * not delivered yet, visible or in flight) are written to `${dataDir}/pending-webhooks.json` and
 * sent again by {@link restorePendingWebhooks} on the next start. Event bodies hold no secrets.
 * Refresh messages are not saved: DynamoDB is on disk and the next scan finds unfinished work.
 * @returns how many messages were saved.
 */
export async function savePendingWebhooks(
  sqs: LocalSqs,
  names: QueueNames,
  dataDir: string,
): Promise<number> {
  const webhooks = ((await sqs.inspect(names.webhooks)) ?? []).map(toSaved);
  const dlq = ((await sqs.inspect(names.webhooksDlq)) ?? []).map(toSaved);
  const path = join(dataDir, PENDING_WEBHOOKS_FILE);
  if (webhooks.length + dlq.length === 0) {
    await rm(path, { force: true });
    return 0;
  }
  const file: PendingFile = { version: 1, saved_at: new Date().toISOString(), webhooks, webhooks_dlq: dlq };
  // Write then rename, so a crash mid-write never leaves a truncated file that loses events.
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(file), { mode: 0o600 });
  await rename(temp, path);
  return webhooks.length + dlq.length;
}

/**
 * Sends saved webhook messages back to their queues, then deletes the file. A crash between the
 * two re-sends them once more: receivers de-duplicate on the stable `webhook-id`.
 * @returns how many messages were restored.
 */
export async function restorePendingWebhooks(
  client: SQSClient,
  queues: LocalQueues,
  dataDir: string,
): Promise<number> {
  const path = join(dataDir, PENDING_WEBHOOKS_FILE);
  let file: PendingFile;
  try {
    file = JSON.parse(await readFile(path, 'utf8')) as PendingFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw new Error(`cannot read ${path}; fix or move it aside to start`, { cause: error });
  }
  await sendAll(client, queues.webhooks.url, file.webhooks ?? []);
  await sendAll(client, queues.webhooksDlq.url, file.webhooks_dlq ?? []);
  await rm(path, { force: true });
  return (file.webhooks ?? []).length + (file.webhooks_dlq ?? []).length;
}

function toSaved(message: InspectedMessage): SavedMessage {
  const attributes = message.messageAttributes ?? {};
  return Object.keys(attributes).length === 0 ? { body: message.body } : { body: message.body, attributes };
}

async function sendAll(
  client: SQSClient,
  queueUrl: string,
  messages: readonly SavedMessage[],
): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const out = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((m, j) => ({
          Id: String(j),
          MessageBody: m.body,
          ...(m.attributes === undefined ? {} : { MessageAttributes: toAttributes(m.attributes) }),
        })),
      }),
    );
    if ((out.Failed ?? []).length > 0)
      throw new Error(`${out.Failed?.length} saved webhook message(s) were not accepted`);
  }
}

function toAttributes(saved: NonNullable<SavedMessage['attributes']>): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, a] of Object.entries(saved)) {
    out[name] = {
      DataType: a.DataType,
      ...(a.StringValue === undefined ? {} : { StringValue: a.StringValue }),
      ...(a.BinaryValue === undefined ? {} : { BinaryValue: Buffer.from(a.BinaryValue, 'base64') }),
    };
  }
  return out;
}
