import { describe, expect, it } from 'vitest';
import {
  fetchSecretString,
  loadWebhookKey,
  WEBHOOK_KEY_TTL_MS,
  WebhookKeyCache,
  webhookKeyFromSecretString,
} from '../../shared/webhooks/secret';
import { generateWebhookSecret } from '../../shared/webhooks/signing';

// The contract between the template (WEBHOOK_SECRET_ARN + the Parameters and Secrets extension
// layer + a generated 44-character secret) and the webhook sender's code.

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf';
const env = { AWS_SESSION_TOKEN: 'session-token', PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '2773' };
/** What Secrets Manager's generator makes of the template's settings: 44 alphanumerics. */
const GENERATED = 'Q29uZ3JhdHVsYXRpb25zWW91Rm91bmRUaGVLZXkxMjM0';

function extension(respond: (url: URL, headers: Headers) => Response) {
  const calls: Array<{ url: URL; headers: Headers }> = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const headers = new Headers(init?.headers);
    calls.push({ url, headers });
    return respond(url, headers);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

describe('webhook signing secret on AWS', () => {
  it('asks the extension on localhost for the secret, authenticated by the session token', async () => {
    const ext = extension(() => Response.json({ ARN, SecretString: GENERATED }));
    await expect(fetchSecretString(ARN, { fetch: ext.fetch, env })).resolves.toBe(GENERATED);
    const call = ext.calls[0];
    expect(call?.url.origin).toBe('http://localhost:2773');
    expect(call?.url.pathname).toBe('/secretsmanager/get');
    expect(call?.url.searchParams.get('secretId')).toBe(ARN);
    expect(call?.headers.get('X-Aws-Parameters-Secrets-Token')).toBe('session-token');
  });

  it('turns the generated 44-character secret into a 33-byte Standard Webhooks key', () => {
    expect(GENERATED).toMatch(/^[A-Za-z0-9]{44}$/);
    expect(webhookKeyFromSecretString(GENERATED)).toHaveLength(33);
  });

  it('accepts a secret stored with its whsec_ prefix', () => {
    const secret = generateWebhookSecret();
    expect(webhookKeyFromSecretString(`${secret}\n`)).toHaveLength(24);
  });

  it('prefers WEBHOOK_SECRET (local runtime) and never calls the extension then', async () => {
    const ext = extension(() => Response.json({ SecretString: GENERATED }));
    const key = await loadWebhookKey(
      { webhookSecret: generateWebhookSecret(), webhookSecretArn: ARN },
      { fetch: ext.fetch, env },
    );
    expect(key).toHaveLength(24);
    expect(ext.calls).toHaveLength(0);
  });

  it('loads the key through WEBHOOK_SECRET_ARN when no WEBHOOK_SECRET is set', async () => {
    const ext = extension(() => Response.json({ SecretString: GENERATED }));
    await expect(loadWebhookKey({ webhookSecretArn: ARN }, { fetch: ext.fetch, env })).resolves.toHaveLength(
      33,
    );
  });

  it('reports a refused secret with its status and never its value', async () => {
    const ext = extension(() => new Response('AccessDeniedException', { status: 400 }));
    const error = await fetchSecretString(ARN, { fetch: ext.fetch, env }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'config_invalid', message: expect.stringContaining('answered 400') });
  });

  it('reports an unreachable extension (layer missing or still starting)', async () => {
    const fetch = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof globalThis.fetch;
    await expect(fetchSecretString(ARN, { fetch, env })).rejects.toThrow(/not reachable on port 2773/);
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
    await expect(loadWebhookKey({})).rejects.toThrow(/WEBHOOK_SECRET_ARN/);
  });

  it('needs the session token the extension checks', async () => {
    await expect(fetchSecretString(ARN, { env: {} })).rejects.toThrow(/AWS_SESSION_TOKEN/);
  });

  describe('WebhookKeyCache', () => {
    const ROTATED = 'Um90YXRlZFNlY3JldFJvdGF0ZWRTZWNyZXQxMjM0NTY3';
    function setup(values: Array<string | Error>) {
      let now = 1_000_000;
      const warnings: string[] = [];
      const ext = extension(() => {
        const next = values.shift() ?? new Error('no more values');
        return next instanceof Error
          ? new Response('boom', { status: 500 })
          : Response.json({ SecretString: next });
      });
      const cache = new WebhookKeyCache(
        { webhookSecretArn: ARN },
        {
          clock: { now: () => now },
          logger: { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} },
          fetchOptions: { fetch: ext.fetch, env },
        },
      );
      return { cache, ext, warnings, advance: (ms: number) => (now += ms) };
    }

    it('reads the secret once per TTL, then picks up a rotated value', async () => {
      const { cache, ext, advance } = setup([GENERATED, ROTATED]);
      const first = await cache.get();
      advance(WEBHOOK_KEY_TTL_MS - 1);
      expect(await cache.get()).toBe(first);
      expect(ext.calls).toHaveLength(1);
      advance(1);
      expect(await cache.get()).toEqual(webhookKeyFromSecretString(ROTATED));
      expect(ext.calls).toHaveLength(2);
    });

    it('keeps signing with the previous key when a re-read fails, and warns', async () => {
      const { cache, warnings, advance } = setup([GENERATED, new Error('down')]);
      const first = await cache.get();
      advance(WEBHOOK_KEY_TTL_MS);
      expect(await cache.get()).toBe(first);
      expect(warnings).toEqual([expect.stringContaining('previous key')]);
    });

    it('fails the first load, and tries again on the next call', async () => {
      const { cache } = setup([new Error('down'), GENERATED]);
      await expect(cache.get()).rejects.toThrow(/answered 500/);
      await expect(cache.get()).resolves.toHaveLength(33);
    });
  });
});
