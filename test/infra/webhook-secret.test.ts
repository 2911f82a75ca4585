import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  loadWebhookKeys,
  type SecretSource,
  type SecretStage,
  WEBHOOK_SECRET_RETRY_MS,
  WebhookKeyCache,
  webhookKeyFromSecretString,
} from '../../shared/adapters/aws/webhook-secret';
import { generateWebhookSecret, webhookHeaders } from '../../shared/webhooks/signing';

// The contract between the template (WEBHOOK_SECRET_ARN + a generated 44-character secret, read
// with Powertools Parameters) and the webhook sender's code, including the rotation window.

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf';
/** What Secrets Manager's generator makes of the template's settings: 44 alphanumerics. */
const GENERATED = 'Q29uZ3JhdHVsYXRpb25zWW91Rm91bmRUaGVLZXkxMjM0';
const ROTATED = 'Um90YXRlZFNlY3JldFJvdGF0ZWRTZWNyZXQxMjM0NTY3';

/** A Secrets Manager stand-in: the values of each version stage, or an error to throw. */
function secrets(stages: Partial<Record<SecretStage, string | Error>>) {
  const calls: Array<{ id: string; stage: SecretStage }> = [];
  const source: SecretSource = {
    async read(id, stage) {
      calls.push({ id, stage });
      const value = stages[stage];
      if (value instanceof Error) throw value;
      return value;
    },
  };
  return { source, calls, stages };
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('webhook signing secret on AWS', () => {
  it('reads the current and the previous version of WEBHOOK_SECRET_ARN', async () => {
    const sm = secrets({ AWSCURRENT: GENERATED });
    const keys = await loadWebhookKeys({ webhookSecretArn: ARN }, sm.source);
    expect(keys).toEqual([webhookKeyFromSecretString(GENERATED)]);
    expect(sm.calls).toEqual([
      { id: ARN, stage: 'AWSCURRENT' },
      { id: ARN, stage: 'AWSPREVIOUS' },
    ]);
  });

  it('signs with both secrets during a rotation window; receivers with either one verify', async () => {
    const sm = secrets({ AWSCURRENT: ROTATED, AWSPREVIOUS: GENERATED });
    const keys = await loadWebhookKeys({ webhookSecretArn: ARN }, sm.source);
    expect(keys).toHaveLength(2);
    const content = { id: 'msg_1', timestamp: Math.floor(Date.now() / 1000), body: '{"type":"x"}' };
    const headers = webhookHeaders(content, keys);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [GENERATED, ROTATED]) {
      expect(() => new Webhook(secret).verify(content.body, headers)).not.toThrow();
    }
    expect(() => new Webhook(generateWebhookSecret()).verify(content.body, headers)).toThrow();
  });

  it('turns the generated 44-character secret into a 33-byte Standard Webhooks key', () => {
    expect(GENERATED).toMatch(/^[A-Za-z0-9]{44}$/);
    expect(webhookKeyFromSecretString(GENERATED)).toHaveLength(33);
  });

  it('accepts a secret stored with its whsec_ prefix', () => {
    expect(webhookKeyFromSecretString(`${generateWebhookSecret()}\n`)).toHaveLength(24);
  });

  it('prefers WEBHOOK_SECRET (local runtime) and never calls Secrets Manager then', async () => {
    const sm = secrets({ AWSCURRENT: GENERATED });
    const keys = await loadWebhookKeys(
      { webhookSecret: generateWebhookSecret(), webhookSecretArn: ARN },
      sm.source,
    );
    expect(keys).toHaveLength(1);
    expect(sm.calls).toHaveLength(0);
  });

  it('reports an unreadable current secret as config_invalid without its value', async () => {
    const sm = secrets({ AWSCURRENT: '' });
    await expect(loadWebhookKeys({ webhookSecretArn: ARN }, sm.source)).rejects.toMatchObject({
      code: 'config_invalid',
    });
  });

  it('rejects a secret that is not a usable key without echoing it', () => {
    expect(() => webhookKeyFromSecretString('short')).toThrow(/whsec_|bytes/);
    const thrown = (() => {
      try {
        webhookKeyFromSecretString('not-base64!!');
        return undefined;
      } catch (error) {
        return error as Error;
      }
    })();
    expect(thrown?.message).toMatch(/whsec_<base64>/);
    expect(thrown?.message).not.toContain('not-base64');
  });

  it('needs one of WEBHOOK_SECRET or WEBHOOK_SECRET_ARN', async () => {
    await expect(loadWebhookKeys({}, secrets({}).source)).rejects.toThrow(/WEBHOOK_SECRET_ARN/);
  });

  describe('WebhookKeyCache', () => {
    function setup(stages: Partial<Record<SecretStage, string | Error>>) {
      let now = 1_000_000;
      const warnings: string[] = [];
      const sm = secrets(stages);
      const cache = new WebhookKeyCache(
        { webhookSecretArn: ARN },
        {
          clock: { now: () => now },
          logger: { ...quiet, warn: (m) => warnings.push(m) },
          source: sm.source,
        },
      );
      return { cache, sm, warnings, advance: (ms: number) => (now += ms) };
    }

    it('asks the source (Powertools, which caches with a max age) on every call: one cache only', async () => {
      const { cache, sm } = setup({ AWSCURRENT: GENERATED });
      const first = await cache.get();
      expect(await cache.get()).toBe(first);
      expect(sm.calls.filter((c) => c.stage === 'AWSCURRENT')).toHaveLength(2);
      sm.stages.AWSCURRENT = ROTATED;
      sm.stages.AWSPREVIOUS = GENERATED;
      expect(await cache.get()).toEqual([
        webhookKeyFromSecretString(ROTATED),
        webhookKeyFromSecretString(GENERATED),
      ]);
    });

    it('keeps signing with the previous keys when a re-read fails, warns, and waits before retrying', async () => {
      const { cache, sm, warnings, advance } = setup({ AWSCURRENT: GENERATED });
      const first = await cache.get();
      sm.stages.AWSCURRENT = new Error('down');
      expect(await cache.get()).toBe(first);
      expect(warnings).toEqual([expect.stringContaining('previous keys')]);
      const calls = sm.calls.length;
      expect(await cache.get()).toBe(first);
      expect(sm.calls).toHaveLength(calls);
      sm.stages.AWSCURRENT = ROTATED;
      advance(WEBHOOK_SECRET_RETRY_MS);
      expect(await cache.get()).toEqual([webhookKeyFromSecretString(ROTATED)]);
    });

    it('fails the first load, and tries again on the next call', async () => {
      const { cache, sm } = setup({ AWSCURRENT: new Error('down') });
      await expect(cache.get()).rejects.toThrow(/down/);
      sm.stages.AWSCURRENT = GENERATED;
      await expect(cache.get()).resolves.toHaveLength(1);
    });
  });
});
