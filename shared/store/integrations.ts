import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { type IntegrationConfig, integrationConfigSchema } from '../providers/resolve';
import { jsonMap, s } from './expression';
import { storeCall, storeError } from './sdk-errors';
import { INTEGRATION_SK, integrationPk } from './table';

/** An integration as stored: its configuration and the client secret's envelope ciphertext. */
export interface StoredIntegration {
  readonly integrationId: string;
  readonly config: IntegrationConfig;
  readonly clientSecretCiphertext: Uint8Array | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

const itemSchema = z.object({
  pk: z.string(),
  config: z.unknown(),
  client_secret: z.instanceof(Uint8Array).optional(),
  created_at: z.number(),
  updated_at: z.number(),
});

/** Integrations in the service table (`pk = I#<id>`, `sk = I`). */
export class DynamoIntegrationStore {
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
