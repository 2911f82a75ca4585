import * as z from 'zod';
import type { ApiKeyScope } from './principal';

/** The principal id of the bootstrap admin key given as `ADMIN_API_KEY_SHA256`. */
export const BOOTSTRAP_ADMIN_ID = 'bootstrap-admin';

/** An API key as listed: never the key, never its digest. */
export interface ApiKeyRecord {
  /** `key_<12 hex>`: what logs, the CLI and `revoke` use. */
  readonly key_id: string;
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  /** The first 8 characters of the key (`ork_` + 4), so a human can tell keys apart. */
  readonly prefix: string;
  readonly created_at: string;
  readonly revoked_at?: string;
  /** When the key last authenticated a request (to within the store's write resolution, 15 minutes). */
  readonly last_used_at?: string;
  /** The configured admin key (`ADMIN_API_KEY_SHA256`, or the local runtime's `API_KEY`/generated key). */
  readonly bootstrap?: true;
}

/** What creating a key takes: a name and exactly one scope. */
export const createKeyInputSchema = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.union([z.tuple([z.literal('admin')]), z.tuple([z.literal('tokens:read')])]),
});
export type CreateKeyInput = z.input<typeof createKeyInputSchema>;
