import * as z from 'zod';
import { idSchema } from '../domain/ids';
import type { PageKey } from '../store/listing';
import { connectionKeyFromItemKeys, integrationPk } from '../store/table';
import { invalidRequest } from './errors';

/**
 * `next_cursor` of `GET /v1/connections`: base64url of the DynamoDB key to continue after. Opaque
 * to clients; it holds only identifiers the caller may see anyway.
 */
export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify({ pk: key.pk, sk: key.sk }), 'utf8').toString('base64url');
}

const cursorSchema = z.object({ pk: z.string(), sk: z.string() }).strict();

/**
 * Reads a cursor back. Anything that is not one of ours (bad base64, bad JSON, a key that is not a
 * connection's, or another integration's when `integrationId` filters) is a 400 naming `query.cursor`.
 * @throws ApiError 400 `invalid_request`
 */
export function decodeCursor(cursor: string, integrationId: string | undefined): PageKey {
  const problem = () =>
    invalidRequest('invalid query', [{ path: 'query.cursor', message: 'not a cursor returned by this API' }]);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw problem();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw problem();
  }
  const result = cursorSchema.safeParse(parsed);
  if (!result.success) throw problem();
  const key = connectionKeyFromItemKeys(result.data.pk, result.data.sk);
  if (
    key === null ||
    !idSchema.safeParse(key.integrationId).success ||
    !idSchema.safeParse(key.connectionId).success
  ) {
    throw problem();
  }
  if (integrationId !== undefined && result.data.pk !== integrationPk(integrationId)) {
    throw invalidRequest('invalid query', [
      { path: 'query.cursor', message: 'the cursor belongs to a listing with another integration_id' },
    ]);
  }
  return result.data;
}
