import type { ApiKeyRecord, CreateKeyInput } from '../domain/api-keys';
import type { Principal } from '../domain/principal';

/** The API keys (api.md "API keys"): stored as digests, never as keys. */
export interface ApiKeyStore {
  /** Creates a key; the key itself is returned once, here, and never stored. */
  create(input: CreateKeyInput): Promise<{ key: string; record: ApiKeyRecord }>;
  list(options?: { readonly activeOnly?: boolean }): Promise<ApiKeyRecord[]>;
  find(keyId: string): Promise<ApiKeyRecord | null>;
  /** @throws NotFoundError when there is no such key */
  revoke(keyId: string): Promise<ApiKeyRecord>;
  /** The principal a presented key stands for, or null (unknown or revoked). */
  authenticate(presented: string): Promise<Principal | null>;
}
