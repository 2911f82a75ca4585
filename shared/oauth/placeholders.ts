import { ServiceError } from '../errors';

/**
 * `{placeholder}` values of catalogue URLs (`https://{shop}.myshopify.com/...`,
 * `https://{subdomain}.zendesk.com/...`, `https://login.microsoftonline.com/{tenant}/...`,
 * `https://{instance}.salesforce.com/...`, `https://{domain}/...`), checked once, strictly, where
 * they enter the service (integration `url_params`, connection import, connect session), so a bad
 * value is a 400 naming it instead of a refresh that later fails as `client_misconfigured`.
 * {@link fillTokenUrl} in ./url still guards every URL it fills.
 */

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
/** One DNS label (RFC 1123): letters, digits and inner hyphens, 1–63 characters. */
const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

type Kind = 'label' | 'hostname';

/**
 * What each placeholder must be. `shop` and `subdomain` stand for exactly one label in front of
 * the provider's domain; `instance` (Salesforce `login`, `test`, `acme.my`), `tenant` (a GUID, a
 * domain such as `contoso.onmicrosoft.com`, or `common`) and `domain` (Okta, Auth0, Cognito) may
 * be several labels. Any other placeholder a custom integration uses is held to the hostname rule.
 */
const KINDS: Readonly<Record<string, Kind>> = {
  shop: 'label',
  subdomain: 'label',
  instance: 'hostname',
  tenant: 'hostname',
  domain: 'hostname',
};

export const kindOfPlaceholder = (name: string): Kind =>
  Object.hasOwn(KINDS, name) ? (KINDS[name] ?? 'hostname') : 'hostname';

/** The placeholder names of URL templates, in order of first appearance. */
export function placeholdersOf(...templates: readonly (string | null | undefined)[]): string[] {
  const names = new Set<string>();
  for (const template of templates) {
    if (template === null || template === undefined) continue;
    for (const match of template.matchAll(PLACEHOLDER)) if (match[1] !== undefined) names.add(match[1]);
  }
  return [...names];
}

/** Why `value` cannot fill `{name}` (a message naming the rule, never quoting the value), or null. */
export function placeholderValueProblem(name: string, value: unknown): string | null {
  if (typeof value !== 'string') return `{${name}} must be a string`;
  if (value === '') return `{${name}} must not be empty`;
  if (kindOfPlaceholder(name) === 'label') {
    return LABEL.test(value)
      ? null
      : `{${name}} must be one hostname label: letters, digits and inner '-', at most 63 characters (no dots, ports, paths or schemes)`;
  }
  const labels = value.split('.');
  return value.length <= 253 && labels.every((l) => LABEL.test(l))
    ? null
    : `{${name}} must be a hostname: dot-separated labels of letters, digits and inner '-' (no ports, paths or schemes)`;
}

/** One refused placeholder: `source` says where its value came from (or should come from). */
export interface PlaceholderProblem {
  readonly placeholder: string;
  readonly source: 'metadata' | 'url_params';
  readonly message: string;
}

export interface PlaceholderInput {
  /** The URL templates that will be filled (token URL, authorization URL). */
  readonly templates: readonly (string | null | undefined)[];
  /** The integration's values (provider defaults merged with its `url_params`). */
  readonly urlParams: Readonly<Record<string, string>>;
  /** The connection's metadata, whose entries override `urlParams` (as on every refresh). */
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The values that fill `templates` (metadata over url_params, as the refresh path merges them), or
 * every problem: a placeholder with no value, or a value that breaks its rule.
 */
export function resolvePlaceholders(
  input: PlaceholderInput,
): { ok: true; values: Record<string, string> } | { ok: false; problems: PlaceholderProblem[] } {
  const values: Record<string, string> = {};
  const problems: PlaceholderProblem[] = [];
  const metadata = input.metadata ?? {};
  for (const name of placeholdersOf(...input.templates)) {
    const fromMetadata = Object.hasOwn(metadata, name);
    const value = fromMetadata
      ? metadata[name]
      : Object.hasOwn(input.urlParams, name)
        ? input.urlParams[name]
        : undefined;
    if (value === undefined) {
      problems.push({
        placeholder: name,
        source: 'metadata',
        message: `the provider's URL needs {${name}}: give it as metadata.${name}`,
      });
      continue;
    }
    const problem = placeholderValueProblem(name, value);
    if (problem !== null) {
      problems.push({
        placeholder: name,
        source: fromMetadata ? 'metadata' : 'url_params',
        message: problem,
      });
      continue;
    }
    values[name] = value as string;
  }
  return problems.length === 0 ? { ok: true, values } : { ok: false, problems };
}

/**
 * {@link resolvePlaceholders}, throwing.
 * @throws ServiceError `config_invalid` with `details.problems` listing each one.
 */
export function requirePlaceholders(input: PlaceholderInput): Record<string, string> {
  const result = resolvePlaceholders(input);
  if (result.ok) return result.values;
  throw new ServiceError(
    'config_invalid',
    `URL placeholder values missing or malformed: ${result.problems.map((p) => `{${p.placeholder}}`).join(', ')}`,
    { details: { problems: result.problems } },
  );
}
