import { describe, expect, it } from 'vitest';
import { isServiceError } from '../../../shared/errors';
import { fillTokenUrl } from '../../../shared/oauth/url';

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('fillTokenUrl', () => {
  it('fills a tenant path segment and a subdomain', () => {
    expect(
      fillTokenUrl('https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token', { tenant: 'common' }),
    ).toBe('https://login.microsoftonline.com/common/oauth2/v2.0/token');
    expect(fillTokenUrl('https://{subdomain}.zendesk.com/oauth/tokens', { subdomain: 'acme-co' })).toBe(
      'https://acme-co.zendesk.com/oauth/tokens',
    );
  });

  it('fills several placeholders and leaves a template without any untouched', () => {
    expect(fillTokenUrl('https://{shop}.example.com/{v}/t', { shop: 'a1', v: 'v2.0' })).toBe(
      'https://a1.example.com/v2.0/t',
    );
    expect(fillTokenUrl('https://oauth2.googleapis.com/token', {})).toBe(
      'https://oauth2.googleapis.com/token',
    );
  });

  it('names the placeholder when its value is missing or empty', () => {
    for (const params of [{}, { tenant: '' }]) {
      const e = errorOf(() => fillTokenUrl('https://x.example/{tenant}/token', params));
      expect(isServiceError(e, 'invalid_url')).toBe(true);
      expect((e as Error).message).toContain('{tenant}');
    }
  });

  it('does not look placeholders up on the prototype', () => {
    const e = errorOf(() => fillTokenUrl('https://x.example/{toString}/t', {}));
    expect(isServiceError(e, 'invalid_url')).toBe(true);
  });

  it.each([
    ['a path', 'evil.example/steal'],
    ['userinfo', 'user@evil.example'],
    ['a port', 'evil.example:8443'],
    ['a query', 'x?y=1'],
    ['a leading dot', '.evil'],
    ['a leading hyphen', '-x'],
    ['whitespace', 'a b'],
    ['a percent sign', 'a%2Fb'],
    ['non-ASCII', 'exämple'],
    ['254 characters', `a${'b'.repeat(253)}`],
  ])('refuses a value with %s without echoing it', (_what, value) => {
    const e = errorOf(() =>
      fillTokenUrl('https://{subdomain}.zendesk.com/oauth/tokens', { subdomain: value }),
    );
    expect(isServiceError(e, 'invalid_url')).toBe(true);
    expect((e as Error).message).toContain('{subdomain}');
    expect((e as Error).message).not.toContain(value);
  });

  it('accepts a 253-character hostname-safe value', () => {
    const value = `a${'b'.repeat(252)}`;
    expect(fillTokenUrl('https://x.example/{t}', { t: value })).toBe(`https://x.example/${value}`);
  });

  it('refuses malformed placeholders and unbalanced braces', () => {
    for (const template of [
      'https://x.example/{}',
      'https://x.example/{a-b}',
      'https://x.example/{a',
      'https://x.example/a}',
    ]) {
      expect(
        isServiceError(
          errorOf(() => fillTokenUrl(template, { a: 'v' })),
          'invalid_url',
        ),
      ).toBe(true);
    }
  });

  it('refuses a result that is not an absolute URL', () => {
    expect(
      isServiceError(
        errorOf(() => fillTokenUrl('{host}/token', { host: 'example.com' })),
        'invalid_url',
      ),
    ).toBe(true);
  });
});
