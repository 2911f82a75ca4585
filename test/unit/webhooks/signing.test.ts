import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { isServiceError } from '../../../shared/errors';
import {
  generateWebhookSecret,
  parseWebhookSecret,
  signWebhook,
  webhookHeaders,
} from '../../../shared/webhooks/signing';
import { rememberSecret } from '../../support/secrets';

const nowSeconds = () => Math.floor(Date.now() / 1000);
const body = JSON.stringify({
  type: 'connection.recovered',
  data: { connection_id: 'user-42', note: 'é ✓' },
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('webhook signing (Standard Webhooks)', () => {
  const secret = generateWebhookSecret();
  rememberSecret(secret);
  const key = parseWebhookSecret(secret);
  const content = { id: 'evt_abcdefghijkl', timestamp: nowSeconds(), body };

  it('produces headers the reference library verifies', () => {
    // Prepare
    const headers = webhookHeaders(content, key);
    // Act
    const payload = new Webhook(secret).verify(body, { ...headers });
    // Assess
    expect(payload).toEqual(JSON.parse(body));
    expect(headers).toMatchObject({
      'webhook-id': content.id,
      'webhook-timestamp': String(content.timestamp),
      'content-type': 'application/json',
      'user-agent': 'oauth-refresher-webhooks/1',
    });
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('matches the reference library signature byte for byte', () => {
    const reference = new Webhook(secret).sign(content.id, new Date(content.timestamp * 1000), body);
    expect(signWebhook(content, key)).toBe(reference);
  });

  it.each([
    ['body', { ...content, body: body.replace('user-42', 'user-43') }],
    ['timestamp', { ...content, timestamp: content.timestamp - 1 }],
    ['id', { ...content, id: 'evt_abcdefghijkm' }],
  ])('fails verification when the %s is tampered with', (_what, tampered) => {
    const headers = webhookHeaders(content, key);
    const forged = {
      ...headers,
      'webhook-id': tampered.id,
      'webhook-timestamp': String(tampered.timestamp),
    };
    expect(() => new Webhook(secret).verify(tampered.body, forged)).toThrow(/No matching signature/);
  });

  it('fails verification with another secret', () => {
    const other = generateWebhookSecret();
    rememberSecret(other);
    const headers = webhookHeaders(content, key);
    expect(() => new Webhook(other).verify(body, { ...headers })).toThrow();
  });

  it('generates 24-byte whsec_ secrets, a new one each time', () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    rememberSecret(a, b);
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(a).not.toBe(b);
    expect(parseWebhookSecret(a)).toHaveLength(24);
  });

  it('accepts keys up to 64 bytes', () => {
    const long = `whsec_${randomBytes(64).toString('base64')}`;
    rememberSecret(long);
    expect(parseWebhookSecret(long)).toHaveLength(64);
  });

  it.each([
    ['no prefix', randomBytes(24).toString('base64')],
    ['another prefix', `wh_${randomBytes(24).toString('base64')}`],
    ['an empty key', 'whsec_'],
    ['invalid base64', `whsec_${randomBytes(24).toString('base64').slice(0, 30)}!!`],
    ['base64url characters', `whsec_${'-_'.repeat(16)}`],
    ['bad padding', `whsec_${randomBytes(24).toString('base64')}=`],
    ['a key under 24 bytes', `whsec_${randomBytes(16).toString('base64')}`],
    ['a key over 64 bytes', `whsec_${randomBytes(65).toString('base64')}`],
  ])('rejects a secret with %s, without echoing it', (_what, value) => {
    rememberSecret(value);
    const error = thrown(() => parseWebhookSecret(value));
    expect(isServiceError(error, 'config_invalid')).toBe(true);
    // Only the two fixed messages exist, so nothing of the value can be in them.
    expect((error as Error).message).toMatch(
      /^webhook secret must (look like whsec_<base64>|decode to 24–64 bytes \(got \d+\))$/,
    );
  });

  it('refuses a fractional timestamp (seconds only)', () => {
    expect(() => signWebhook({ ...content, timestamp: 1.5 }, key)).toThrow(RangeError);
  });
});
