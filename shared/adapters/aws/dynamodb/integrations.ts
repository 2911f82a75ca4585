import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import type { IntegrationConfig } from '../../../domain/integration';
import type { IntegrationStore, StoredIntegration } from '../../../ports/integrations';
import { integrationConfigSchema } from '../../../providers/resolve';
import { ExpressionBuilder, jsonMap, s } from './expression';
import { storeCall, storeError } from './sdk-errors';
import { INTEGRATION_SK, integrationPk } from './table';

const itemSchema = z.object({
  pk: z.string(),
  config: z.unknown(),
  client_secret: z.instanceof(Uint8Array).optional(),
  created_at: z.number(),
  updated_at: z.number(),
});

/** Integrations in the service table (`pk = I#<id>`, `sk = I`). */
export class DynamoIntegrationStore implements IntegrationStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async get(integrationId: string): Promise<StoredIntegration | null> {
    const out = await storeCall('GetItem', () =>
      this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: this.key(integrationId), ConsistentRead: true }),
      ),
    );
    return out.Item === undefined ? null : decode(integrationId, out.Item);
  }

  /** Creates or replaces; returns whether it was created. Keeps `created_at` of a replaced item. */
  async put(
    integrationId: string,
    config: IntegrationConfig,
    clientSecretCiphertext: Uint8Array | null,
    now: number,
  ): Promise<{ created: boolean; integration: StoredIntegration }> {
    const existing = await this.get(integrationId);
    const createdAt = existing?.createdAt ?? now;
    const item: Record<string, AttributeValue> = {
      ...this.key(integrationId),
      config: { M: jsonMap(config) },
      created_at: { N: String(createdAt) },
      updated_at: { N: String(now) },
      ...(clientSecretCiphertext === null ? {} : { client_secret: { B: clientSecretCiphertext } }),
    };
    await storeCall('PutItem', () =>
      this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item })),
    );
    return {
      created: existing === null,
      integration: { integrationId, config, clientSecretCiphertext, createdAt, updatedAt: now },
    };
  }

  /** True when at least one connection of the integration exists (reads one item). */
  async hasConnections(integrationId: string): Promise<boolean> {
    const out = await storeCall('Query', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :c)',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
          ExpressionAttributeValues: { ':pk': s(integrationPk(integrationId)), ':c': s('C#') },
          Limit: 1,
          ProjectionExpression: '#pk',
        }),
      ),
    );
    return (out.Items?.length ?? 0) > 0;
  }

  /**
   * Every integration id, by a Scan filtered on `sk = 'I'`. Integrations live in their own
   * partitions beside their connections (no index lists them), so this reads the whole table: fine
   * for an admin listing of a table with thousands of connections; past that, keep a list item or an
   * index maintained by the integration store.
   * @throws ServiceError `store_unavailable`
   */
  async listIds(): Promise<string[]> {
    const ids: string[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const x = new ExpressionBuilder();
      const out = await storeCall('Scan', () =>
        this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            FilterExpression: `${x.name('sk')} = ${x.value(s(INTEGRATION_SK))} AND begins_with(${x.name('pk')}, ${x.value(s('I#'))})`,
            ProjectionExpression: x.name('pk'),
            ...(start === undefined ? {} : { ExclusiveStartKey: start }),
            ...x.attributes(),
          }),
        ),
      );
      for (const item of out.Items ?? []) {
        const pk = item.pk?.S;
        if (pk !== undefined) ids.push(pk.slice(2));
      }
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return ids.sort();
  }

  /** Deletes; false when it did not exist. */
  async delete(integrationId: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: this.key(integrationId),
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw storeError('DeleteItem', error);
    }
  }

  private key(integrationId: string): Record<string, AttributeValue> {
    return { pk: s(integrationPk(integrationId)), sk: s(INTEGRATION_SK) };
  }
}

function decode(integrationId: string, item: Record<string, AttributeValue>): StoredIntegration {
  const raw = itemSchema.parse(unmarshall(item));
  return {
    integrationId,
    config: integrationConfigSchema.parse(raw.config),
    clientSecretCiphertext: raw.client_secret ?? null,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
  };
}
