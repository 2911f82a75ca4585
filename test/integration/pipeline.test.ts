import { randomBytes } from 'node:crypto';
import { type AttributeValue, QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ApiRoot } from '../../functions/api/deps';
import type { LocalRuntime } from '../../infra/local/runtime';
import { A } from '../../shared/adapters/aws/dynamodb/codec';
import { integrationPk } from '../../shared/adapters/aws/dynamodb/table';
import type { ConnectionKey } from '../../shared/domain/ids';
import type { IntegrationConfig } from '../../shared/domain/integration';
import { importCredentials } from '../../shared/refresh/import-credentials';
import { saveIntegration } from '../../shared/refresh/save-integration';
import { startTestRuntime, type TestRuntime } from '../support/local';
import { type OidcHarness, startOidcProvider } from '../support/oidc';
import { type ProviderDouble, startProviderDouble } from '../support/provider-double';
import { rememberSecret } from '../support/secrets';
import { until } from '../support/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

// Issue 3 acceptance through the local runtime: the real handlers on dynalite + fauxqs, a real
// OAuth server with strict rotation (oidc-provider), a real webhook receiver on loopback.
describe('refresh pipeline through the local runtime', () => {
  let oidc: OidcHarness;
  let receiver: WebhookReceiver;
  let runtime: TestRuntime;
  let local: LocalRuntime;
  let rt: ApiRoot;

  beforeAll(async () => {
    [oidc, receiver] = await Promise.all([
      startOidcProvider({ rotation: 'strict', accessTokenTtlSeconds: 10 }),
      startWebhookReceiver(),
    ]);
    runtime = await startTestRuntime({
      name: 'pipeline',
      scanIntervalSeconds: 1,
      env: {
        WEBHOOK_URL: receiver.url,
        LOG_LEVEL: 'WARN',
        PROVIDER_TIMEOUT_MS: '3000',
        WEBHOOK_RETRY_FIRST_DELAY_SECONDS: '1',
      },
    });
    local = runtime.local;
    rt = local.functions.api;
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    await Promise.all([oidc?.close(), receiver?.close()]);
  });

  const client = () => oidc.clients[0] ?? { id: '', secret: '' };

  async function putIntegration(id: string, config: Partial<IntegrationConfig> = {}): Promise<void> {
    await saveIntegration(rt, id, ...oidc.integration(config));
  }

  async function connect(integrationId: string, count: number, expiresInMs = 10_000) {
    const { integration } = await rt.integrations.get(integrationId);
    const keys: Array<ConnectionKey & { refreshToken: string }> = [];
    for (let i = 0; i < count; i++) {
      const refreshToken = await oidc.mintRefreshToken({ clientId: client().id });
      rememberSecret(refreshToken);
      const key = { integrationId, connectionId: `c-${i}-${randomBytes(3).toString('hex')}` };
      await importCredentials({ ...rt, random: Math.random }, integration, key, {
        accessToken: `initial-${randomBytes(12).toString('hex')}`,
        refreshToken,
        expiresAt: Date.now() + expiresInMs,
        tokenType: 'Bearer',
        scope: null,
        raw: {},
      });
      keys.push({ ...key, refreshToken });
    }
    return keys;
  }

  /**
   * Expiry and credential generation of every connection of an integration: one Query projecting
   * three small attributes, cheap enough to poll without taking the pipeline's CPU.
   */
  async function snapshot(integrationId: string) {
    const out: Array<{ expiresAt: number | null; generation: number }> = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await local.dynamo.send(
        new QueryCommand({
          TableName: local.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)',
          ProjectionExpression: '#e, #g',
          ExpressionAttributeNames: { '#e': A.expiresAt, '#g': A.credentialGeneration },
          ExpressionAttributeValues: { ':pk': { S: integrationPk(integrationId) }, ':c': { S: 'C#' } },
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of page.Items ?? []) {
        const e = item[A.expiresAt]?.N;
        out.push({
          expiresAt: e === undefined ? null : Number(e),
          generation: Number(item[A.credentialGeneration]?.N ?? 0),
        });
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }

  /**
   * Refreshes per second this machine's pipeline sustains (scan → queue → refresher → provider →
   * commit, all on these shared cores), measured on a burst of connections due at once.
   */
  async function measureCapacity(count: number): Promise<number> {
    await putIntegration('calibration');
    const keys = await connect('calibration', count, 1);
    const started = Date.now();
    await until(
      'the calibration burst',
      async () => (await snapshot('calibration')).every((c) => c.generation >= 2),
      120_000,
    );
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    await Promise.all(keys.map((k) => rt.store.delete(k)));
    return count / seconds;
  }

  it('keeps 200 connections with short-lived tokens fresh for three cycles, with no invalid_grant', async () => {
    // A token must be refreshed within its refresh margin (a third of its lifetime): the fleet is
    // due within that window, so the lifetime must give the pipeline time for 200 refreshes plus a
    // scan interval and a poll. 10 s on a fast machine; longer where the pipeline is slower, so the
    // test asserts freshness rather than this machine's speed.
    const fleet = 200;
    const capacity = await measureCapacity(100);
    // The fleet comes due within one jitter window: its refresh margin (a third of the lifetime) must
    // hold the burst with half again as much to spare, plus a scan interval and a queue poll.
    const lifetimeMs = Math.max(10_000, Math.ceil(3 * (1.5 * (fleet / capacity) + 3)) * 1_000);
    console.info(
      `pipeline capacity on this machine: ${capacity.toFixed(1)} refreshes/s; token lifetime ${lifetimeMs} ms`,
    );
    await putIntegration('fleet');
    oidc.resetStats();
    // Every token of the fleet has this lifetime, the imported ones and those the provider issues.
    oidc.setAccessTokenTtl(lifetimeMs / 1000);
    onTestFinished(() => oidc.setAccessTokenTtl(10));
    const keys = await connect('fleet', fleet, lifetimeMs);
    let expiredSightings = 0;
    let minHeadroomMs = Number.POSITIVE_INFINITY;

    await until(
      'three refreshes of every connection',
      async () => {
        const all = await snapshot('fleet');
        const now = Date.now();
        for (const c of all) {
          if (c.expiresAt === null) continue;
          minHeadroomMs = Math.min(minHeadroomMs, c.expiresAt - now);
          if (c.expiresAt <= now) expiredSightings++;
        }
        return all.length === fleet && all.every((c) => c.generation >= 4);
      },
      lifetimeMs * 6,
    );

    expect(expiredSightings).toBe(0);
    expect(minHeadroomMs).toBeGreaterThan(0);
    expect(oidc.stats().invalidGrant).toBe(0);
    expect(oidc.stats().refreshGrants).toBeGreaterThanOrEqual(3 * fleet);
    await Promise.all(keys.map((k) => rt.store.delete(k)));
  }, 600_000);

  it('a revoked grant produces exactly one connection.reauth_required webhook that verifies', async () => {
    await putIntegration('revoking');
    const [key] = await connect('revoking', 1, 4_000);
    if (key === undefined) throw new Error('no connection');
    await oidc.revokeGrant(key.refreshToken);
    const forThis = (w: { event: { type: string; data: { connection_id: string } } }) =>
      w.event.type === 'connection.reauth_required' && w.event.data.connection_id === key.connectionId;

    await until('the webhook', () => receiver.delivered(forThis).length > 0, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    const hooks = receiver.delivered(forThis);
    expect(hooks).toHaveLength(1);
    const hook = hooks[0];
    if (hook === undefined) return;
    expect(() => receiver.verify(hook, local.webhookSecret)).not.toThrow();
    expect(hook.event.data).toMatchObject({
      integration_id: 'revoking',
      provider: 'custom',
      status: 'needs_reauth',
      error: { code: 'revoked', provider_error: 'invalid_grant' },
    });
    expect(await rt.store.get(key)).toMatchObject({ status: 'needs_reauth', nextRefreshAt: null });
  }, 40_000);

  it('a 15-second provider outage produces one refresh_failed then one recovered per connection', async () => {
    let double: ProviderDouble | undefined;
    try {
      double = await startProviderDouble({ upstream: oidc.tokenUrl });
      await putIntegration('outage', {
        token_url: double.url,
        refresh: { retry_base_seconds: 1, retry_max_seconds: 3 },
      });
      const keys = await connect('outage', 5, 3_000);
      double.setMode({ mode: 'status', status: 503 });
      await new Promise((resolve) => setTimeout(resolve, 15_000));
      double.setMode('proxy');
      const ofConnection = (id: string) =>
        receiver.delivered((w) => w.event.data.connection_id === id).map((w) => w.event.type);

      await until(
        'recovery of every connection',
        () => keys.every((k) => ofConnection(k.connectionId).includes('connection.recovered')),
        20_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 2_000));

      for (const k of keys) {
        expect(ofConnection(k.connectionId)).toEqual(['connection.refresh_failed', 'connection.recovered']);
      }
      expect(double.requests.count).toBeGreaterThan(keys.length * 2);
    } finally {
      await double?.close();
    }
  }, 60_000);

  it('a receiver answering 500 for a while receives every event afterwards, with the same webhook-id', async () => {
    await putIntegration('hooks');
    const keys = await connect('hooks', 2, 60_000);
    receiver.setStatus(500);
    for (const k of keys) await oidc.revokeGrant(k.refreshToken);
    // Force the refreshes now (the API's POST .../refresh does the same).
    const { refreshConnection } = await import('../../shared/refresh/refresh-connection');
    await Promise.all(keys.map((k) => refreshConnection(rt.refresh, k, { trigger: 'forced' })));
    const attempts = (id: string) => receiver.received.filter((w) => w.event.data.connection_id === id);

    await until(
      'three failed attempts each',
      () => keys.every((k) => attempts(k.connectionId).length >= 3),
      20_000,
    );
    receiver.setStatus(204);
    await until(
      'delivery after the outage',
      () => keys.every((k) => attempts(k.connectionId).some((w) => w.answered === 204)),
      20_000,
    );

    for (const k of keys) {
      const tries = attempts(k.connectionId);
      expect(new Set(tries.map((w) => w.id)).size).toBe(1);
      expect(tries.filter((w) => w.answered === 204)).toHaveLength(1);
      const delivered = tries.find((w) => w.answered === 204);
      if (delivered) expect(() => receiver.verify(delivered, local.webhookSecret)).not.toThrow();
    }
  }, 60_000);

  it('a poison refresh message ends in the DLQ while the rest of its batch completes', async () => {
    await putIntegration('poison');
    const keys = await connect('poison', 7, 3_600_000);
    await local.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: local.queues.refresh,
        Attributes: { VisibilityTimeout: '1' },
      }),
    );
    const valid = keys.map((k) =>
      JSON.stringify({
        v: 1,
        integration_id: k.integrationId,
        connection_id: k.connectionId,
        due_at: Date.now(),
      }),
    );
    const poison = ['not json', JSON.stringify({ v: 2 }), JSON.stringify({ v: 1, integration_id: '../x' })];
    await local.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: local.queues.refresh,
        Entries: [...valid, ...poison].map((body, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );
    const count = async (queueUrl: string) => {
      const out = await local.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
        Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    };

    await until(
      'the poison messages in the DLQ',
      async () => (await count(local.queues.refreshDlq)) >= 3,
      30_000,
    );
    // A valid record failing alongside would have reached the DLQ by now too (same visibility, same count).
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const dlq = await local.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: local.queues.refreshDlq, MaxNumberOfMessages: 10 }),
    );
    expect((dlq.Messages ?? []).map((m) => m.Body).sort()).toEqual([...poison].sort());
  }, 45_000);
});
