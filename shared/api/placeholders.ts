import type { ConnectionKey } from '../domain/ids';
import type { ResolvedIntegration } from '../domain/integration';
import { type PlaceholderInput, placeholdersOf, resolvePlaceholders } from '../oauth/placeholders';
import { invalidRequest } from './errors';

/**
 * The `{placeholder}` values for an integration's URLs, or a 400 `invalid_request` whose `details`
 * name each missing or malformed one by its path in the request (`body.metadata.shop`). The values
 * themselves are never quoted back.
 * @param metadataPath where the request carries the metadata (e.g. `body.metadata`)
 */
export function placeholderValuesOrThrow(
  input: PlaceholderInput,
  metadataPath = 'body.metadata',
): Record<string, string> {
  const result = resolvePlaceholders(input);
  if (result.ok) return result.values;
  const names = result.problems.map((p) => `{${p.placeholder}}`).join(', ');
  throw invalidRequest(
    `URL placeholder ${names} ${result.problems.length === 1 ? 'has' : 'have'} no valid value`,
    result.problems.map((p) => ({
      path:
        p.source === 'metadata'
          ? `${metadataPath}.${p.placeholder}`
          : `integration.url_params.${p.placeholder}`,
      message: p.message,
    })),
  );
}

/**
 * For an import (`PUT .../connections/{id}`): the token URL's placeholders must be fillable from
 * the metadata the connection will have (the body's, else its stored one, read only when needed).
 * @throws ApiError 400 naming each missing or malformed placeholder.
 */
export async function checkImportPlaceholders(
  store: {
    get(key: ConnectionKey): Promise<{ readonly metadata: Readonly<Record<string, unknown>> } | null>;
  },
  integration: Pick<ResolvedIntegration, 'tokenUrl' | 'urlParams'>,
  key: ConnectionKey,
  metadata: Readonly<Record<string, unknown>> | undefined,
): Promise<void> {
  if (placeholdersOf(integration.tokenUrl).length === 0) return;
  placeholderValuesOrThrow({
    templates: [integration.tokenUrl],
    urlParams: integration.urlParams,
    metadata: metadata ?? (await store.get(key))?.metadata,
  });
}
