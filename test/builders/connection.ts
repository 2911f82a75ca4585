import type { ConnectionKey } from '../../shared/domain/ids';
import type { NewConnection } from '../../shared/ports/store';

let counter = 0;

export function aConnectionKey(overrides: Partial<ConnectionKey> = {}): ConnectionKey {
  counter += 1;
  return { integrationId: 'acme-oidc', connectionId: `user-${counter}`, ...overrides };
}

/** A new active connection with an opaque ciphertext (store-level tests do not decrypt). */
export function aNewConnection(overrides: Partial<NewConnection> = {}): NewConnection {
  return {
    provider: 'custom',
    status: 'active',
    secretsCiphertext: new Uint8Array([1, 2, 3, 4]),
    hasRefreshToken: true,
    tokenType: 'Bearer',
    scope: 'openid offline_access',
    accessTokenExpiresAt: 1_800_000_000_000,
    lastLifetimeSeconds: 3600,
    lastRefreshAt: 1_799_996_400_000,
    nextRefreshAt: 1_799_999_000_000,
    consecutiveFailures: 0,
    failingSince: null,
    lastError: null,
    metadata: { customer: 'acme' },
    events: [],
    ...overrides,
  };
}
