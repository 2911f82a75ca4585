import { InvalidCursorError, isServiceError } from '../../../errors';
import type { EncryptionContext, Keyring } from '../../../ports/keyring';

/** A position in the table: the primary key of the last item read (what ExclusiveStartKey takes). */
export interface PageKey {
  readonly pk: string;
  readonly sk: string;
}

/** Cursors longer than this are not ours (an envelope of a page key is a few hundred bytes). */
const MAX_CURSOR_LENGTH = 4_096;

/**
 * A cursor is bound to its listing: the integration it filters on, or every connection (`*`).
 * Connection ids never contain `*` (shared/domain/ids.ts), so the two never collide.
 */
const cursorContext = (integrationId: string | undefined): EncryptionContext => ({
  integration_id: integrationId ?? '*',
  connection_id: '-',
  purpose: 'listing_cursor',
});

/**
 * `next_cursor` of `GET /v1/connections`: the table position sealed by the keyring (AES-256-GCM
 * envelope), so a cursor reveals nothing of the table's key layout and a table scan never hands out
 * the key of another kind of item (an API key's digest, a connect session's state), and a cursor
 * of one listing cannot be replayed against another.
 */
export async function sealCursor(
  keyring: Keyring,
  key: PageKey,
  integrationId: string | undefined,
): Promise<string> {
  const plaintext = new TextEncoder().encode(JSON.stringify([key.pk, key.sk]));
  const sealed = await keyring.encrypt(plaintext, cursorContext(integrationId));
  return Buffer.from(sealed).toString('base64url');
}

/**
 * Reads a cursor back.
 * @throws InvalidCursorError for anything this listing did not hand out (malformed, tampered, or
 *   another listing's); ServiceError `keyring_unavailable` when the key service cannot be reached
 */
export async function openCursor(
  keyring: Keyring,
  cursor: string,
  integrationId: string | undefined,
): Promise<PageKey> {
  const problem = () =>
    new InvalidCursorError(
      integrationId === undefined
        ? 'not a cursor returned by this API'
        : `not a cursor returned by this API for integration_id ${integrationId}`,
    );
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw problem();
  let plaintext: Uint8Array;
  try {
    plaintext = await keyring.decrypt(Buffer.from(cursor, 'base64url'), cursorContext(integrationId));
  } catch (error) {
    if (isServiceError(error, 'decrypt_failed')) throw problem();
    throw error;
  }
  const parsed: unknown = JSON.parse(new TextDecoder().decode(plaintext));
  if (!Array.isArray(parsed) || parsed.length !== 2 || !parsed.every((p) => typeof p === 'string')) {
    throw problem();
  }
  return { pk: parsed[0] as string, sk: parsed[1] as string };
}
