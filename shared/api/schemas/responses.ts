import type { ResponseSpec } from '../route';
import { errorEnvelopeSchema } from './common';

const DESCRIPTIONS = {
  404: 'not_found: unknown integration or connection',
  409: 'conflict: not possible in the current state (a forced refresh of a connection without a refresh token, a revoked grant; the message says which)',
  424: 'reauth_required: the end user must re-authorize; `details.connection` is the connection view',
  502: 'provider_error: the provider answered the refresh with something unusable (`details.provider_error` when it sent one)',
  503: 'provider_unavailable or refresh_in_progress: transient; see the Retry-After header',
} as const satisfies Record<number, string>;

/**
 * A route's own error responses, each with api.md's envelope, for the OpenAPI document. The errors
 * the router produces for every route (400, 401, 403, 413, 415) are added by the document builder.
 */
export function errorResponses(...statuses: (keyof typeof DESCRIPTIONS)[]): Record<number, ResponseSpec> {
  const out: Record<number, ResponseSpec> = {};
  for (const status of statuses) {
    out[status] = { description: DESCRIPTIONS[status], schema: errorEnvelopeSchema };
  }
  return out;
}
