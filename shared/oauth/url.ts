import { ServiceError } from '../errors';

const PLACEHOLDER = /\{([^{}]*)\}/g;
const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Hostname-safe: a value may form (part of) a host name but never add a path, port, userinfo or query. */
const SAFE_VALUE = /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/;

/**
 * Fills `{name}` placeholders of a token URL template (e.g. `https://{subdomain}.zendesk.com/...`,
 * `https://login.microsoftonline.com/{tenant}/...`) from `params`. Values must be hostname-safe so a
 * connection's metadata cannot steer the request elsewhere (`evil.com/` or `@host` is refused);
 * they are URL-encoded as well. Error messages name the placeholder, never the value.
 * @throws ServiceError `invalid_url` for a missing or unsafe value, a malformed placeholder, or a
 *   result that is not an absolute URL.
 */
export function fillTokenUrl(template: string, params: Readonly<Record<string, string>>): string {
  const filled = template.replace(PLACEHOLDER, (_match, name: string) => {
    if (!PLACEHOLDER_NAME.test(name)) {
      throw new ServiceError('invalid_url', 'token URL has a malformed placeholder');
    }
    const value = Object.hasOwn(params, name) ? params[name] : undefined;
    if (value === undefined || value === '') {
      throw new ServiceError('invalid_url', `token URL placeholder {${name}} has no value`, {
        details: { placeholder: name },
      });
    }
    if (!SAFE_VALUE.test(value)) {
      throw new ServiceError(
        'invalid_url',
        `value of token URL placeholder {${name}} is not allowed (letters, digits, '.' and '-' only, at most 253 characters)`,
        { details: { placeholder: name } },
      );
    }
    return encodeURIComponent(value);
  });
  if (filled.includes('{') || filled.includes('}')) {
    throw new ServiceError('invalid_url', 'token URL has an unbalanced placeholder brace');
  }
  try {
    new URL(filled);
  } catch (cause) {
    throw new ServiceError(
      'invalid_url',
      'token URL is not a valid absolute URL after filling placeholders',
      {
        cause,
      },
    );
  }
  return filled;
}
