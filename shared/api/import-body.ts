import type { CredentialsInput } from '../refresh/import-credentials';
import type { ConnectionInput } from './schemas/connections';

/**
 * An import body as the import use case takes it, for `PUT .../connections/{id}` and each item of
 * the batch import: `expires_in` counts from now, `expires_at` is absolute, neither derives the
 * expiry; an absent `refresh_token` keeps a stored one that is still good, `null` says there is none.
 */
export function credentialsOf(body: ConnectionInput, now: number): CredentialsInput {
  const expiresAt =
    body.expires_in !== undefined
      ? now + body.expires_in * 1_000
      : body.expires_at !== undefined
        ? Date.parse(body.expires_at)
        : null;
  return {
    accessToken: body.access_token,
    ...(body.refresh_token === undefined ? {} : { refreshToken: body.refresh_token }),
    expiresAt,
    tokenType: body.token_type ?? null,
    scope: body.scope ?? null,
    raw: body.raw ?? {},
    ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
    ...(body.authorized_at === undefined ? {} : { authorizedAt: Date.parse(body.authorized_at) }),
  };
}
