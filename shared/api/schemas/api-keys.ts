import * as z from 'zod';

/** api.md v1.1: the two scopes a key can have. */
export const apiKeyScopeSchema = z.enum(['admin', 'tokens:read']);

/** `key_<12 hex>` for created keys, `bootstrap-admin` for the configured admin key. */
export const apiKeyIdSchema = z.string().regex(/^(key_[0-9a-f]{12}|bootstrap-admin)$/, 'not an API key id');

/** api.md v1.1 `POST /v1/api-keys`. */
export const createApiKeySchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    scope: apiKeyScopeSchema,
  })
  .strict()
  .meta({ id: 'CreateApiKey' });

const timestampSchema = z.iso.datetime();

/** A key as listed: never the key, never its digest. */
export const apiKeySchema = z
  .object({
    key_id: z.string(),
    name: z.string(),
    scope: apiKeyScopeSchema,
    created_at: timestampSchema,
    /** When the key last authenticated a request (recorded at most every 15 minutes); null if never. */
    last_used_at: timestampSchema.nullable(),
    /** The key's first 8 characters (`ork_` + 4), to tell keys apart; empty for the configured admin key. */
    prefix: z.string(),
    /** True for the configured admin key (`API_KEY` / the generated local key / `adminApiKeySha256`). */
    configured: z.boolean(),
  })
  .meta({ id: 'ApiKey' });

/** The answer of `POST /v1/api-keys`: the key itself, shown this once. */
export const createdApiKeySchema = z
  .object({
    key_id: z.string(),
    name: z.string(),
    scope: apiKeyScopeSchema,
    created_at: timestampSchema,
    api_key: z.string(),
  })
  .meta({ id: 'CreatedApiKey' });

export const apiKeyListSchema = z.object({ items: z.array(apiKeySchema) }).meta({ id: 'ApiKeyList' });

export const apiKeyParamsSchema = z.object({ key_id: apiKeyIdSchema }).strict();
