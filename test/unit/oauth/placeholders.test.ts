import { describe, expect, it } from 'vitest';
import {
  placeholdersOf,
  placeholderValueProblem,
  resolvePlaceholders,
} from '../../../shared/oauth/placeholders';
import { PROVIDERS } from '../../../shared/providers/catalogue';

describe('URL placeholder values', () => {
  it('finds the placeholders of URL templates', () => {
    expect(
      placeholdersOf('https://{shop}.myshopify.com/a', 'https://{shop}.myshopify.com/{x}', null, undefined),
    ).toEqual(['shop', 'x']);
  });

  it.each([
    ['shop', 'acme-store'],
    ['subdomain', 'a'],
    ['subdomain', `a${'b'.repeat(62)}`],
    ['instance', 'acme.my'],
    ['instance', 'acme--sandbox.sandbox.my'],
    ['tenant', 'common'],
    ['tenant', 'contoso.onmicrosoft.com'],
    ['tenant', '72f988bf-86f1-41af-91ab-2d7cd011db47'],
    ['domain', 'acme.eu.auth0.com'],
  ])('accepts %s = %s', (name, value) => {
    expect(placeholderValueProblem(name, value)).toBeNull();
  });

  it.each([
    ['shop', '127.0.0.1:4199/token#'],
    ['shop', 'acme.evil.com'],
    ['shop', '-acme'],
    ['shop', 'acme-'],
    ['shop', `a${'b'.repeat(63)}`],
    ['subdomain', 'acme/x'],
    ['subdomain', 'user@acme'],
    ['subdomain', ''],
    ['subdomain', 42],
    ['instance', 'acme.my:443'],
    ['instance', 'acme..my'],
    ['tenant', 'contoso.com/evil'],
    ['domain', 'https://acme.auth0.com'],
    ['domain', 'acme.auth0.com?x=1'],
    ['custom_name', 'a b'],
  ])('refuses %s = %j, naming the placeholder but not the value', (name, value) => {
    const problem = placeholderValueProblem(name, value);
    expect(problem).toContain(`{${name}}`);
    if (typeof value === 'string' && value.length > 3) expect(problem).not.toContain(value);
  });

  it('takes metadata over url_params and names every problem with its source', () => {
    const templates = ['https://{subdomain}.zendesk.com/oauth/tokens', 'https://x/{tenant}/{region}'];
    expect(
      resolvePlaceholders({
        templates,
        urlParams: { tenant: 'common', region: 'eu' },
        metadata: { subdomain: 'acme', region: 'us', other: { nested: true } },
      }),
    ).toEqual({ ok: true, values: { subdomain: 'acme', tenant: 'common', region: 'us' } });
    expect(
      resolvePlaceholders({ templates, urlParams: { tenant: 'x:1' }, metadata: { region: 'a/b' } }),
    ).toEqual({
      ok: false,
      problems: [
        {
          placeholder: 'subdomain',
          source: 'metadata',
          message: expect.stringContaining('metadata.subdomain'),
        },
        { placeholder: 'tenant', source: 'url_params', message: expect.any(String) },
        { placeholder: 'region', source: 'metadata', message: expect.any(String) },
      ],
    });
  });

  it("accepts every catalogue provider's default values", () => {
    for (const provider of Object.values(PROVIDERS)) {
      for (const [name, value] of Object.entries(provider.url_param_defaults)) {
        expect(placeholderValueProblem(name, value), `${provider.key}.${name}`).toBeNull();
      }
    }
  });
});
