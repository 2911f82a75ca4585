import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type MessageAttributeValue, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { InspectedMessage, LocalQueues, LocalSqs, QueueNames } from './sqs';

export const PENDING_MESSAGES_FILE = 'pending-messages.json';

/** The queues whose messages survive a clean restart (file key → queue). */
const SAVED_QUEUES = {
  webhooks: 'webhooks',
  webhooks_dlq: 'webhooksDlq',
  refresh: 'refresh',
  refresh_dlq: 'refreshDlq',
} as const satisfies Record<string, keyof QueueNames & keyof LocalQueues>;
type SavedQueue = keyof typeof SAVED_QUEUES;

interface SavedMessage {
  readonly body: string;
  /** As fauxqs keeps them (binary values base64). The pipeline sends none today. */
  readonly attributes?: InspectedMessage['messageAttributes'];
}

interface PendingFile {
  readonly version: 1;
  readonly saved_at: string;
  readonly queues: Partial<Record<SavedQueue, SavedMessage[]>>;
}

/**
 * fauxqs keeps messages in memory only, so at a clean stop every queue's messages (visible or in
 * flight: undelivered events, refresh tasks whose connections are claimed for the next 10 minutes,
 * and both DLQs) are written to `${dataDir}/pending-messages.json` and sent again by
 * {@link restorePendingMessages} on the next start. Bodies hold identifiers and event payloads only,
 * never secrets.
 * @returns how many messages were saved.
 */
export async function savePendingMessages(
  sqs: LocalSqs,
  names: QueueNames,
  dataDir: string,
): Promise<number> {
  const queues: Partial<Record<SavedQueue, SavedMessage[]>> = {};
  let total = 0;
  for (const [key, name] of Object.entries(SAVED_QUEUES) as Array<[SavedQueue, keyof QueueNames]>) {
    const messages = ((await sqs.inspect(names[name])) ?? []).map(toSaved);
    if (messages.length > 0) queues[key] = messages;
    total += messages.length;
  }
  const path = join(dataDir, PENDING_MESSAGES_FILE);
  if (total === 0) {
    await rm(path, { force: true });
    return 0;
  }
  const file: PendingFile = { version: 1, saved_at: new Date().toISOString(), queues };
  // Write then rename, so a crash mid-write never leaves a truncated file that loses messages.
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(file), { mode: 0o600 });
  await rename(temp, path);
  return total;
}

/**
 * Sends saved messages back to their queues, then deletes the file. A crash between the two
 * re-sends them once more: receivers de-duplicate events on the stable `webhook-id`, and a
 * duplicate refresh task finds nothing due.
 * @returns how many messages were restored.
 */
export async function restorePendingMessages(
  client: SQSClient,
  queues: LocalQueues,
  dataDir: string,
): Promise<number> {
  const path = join(dataDir, PENDING_MESSAGES_FILE);
  let file: PendingFile;
  try {
    file = JSON.parse(await readFile(path, 'utf8')) as PendingFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw new Error(`cannot read ${path}; fix or move it aside to start`, { cause: error });
  }
  let total = 0;
  for (const [key, name] of Object.entries(SAVED_QUEUES) as Array<[SavedQueue, keyof LocalQueues]>) {
    const messages = file.queues?.[key] ?? [];
    await sendAll(client, queues[name].url, messages);
    total += messages.length;
  }
  await rm(path, { force: true });
  return total;
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
      throw new Error(`${out.Failed?.length} saved message(s) were not accepted`);
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
