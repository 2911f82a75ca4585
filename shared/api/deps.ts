import type { Runtime } from '../runtime';
import type { Principal } from './principal';

/** What the API routes use: the process runtime plus the API's own stores. */
export interface ApiDeps {
  readonly rt: Runtime;
  readonly apiKeys: { authenticate(key: string): Promise<Principal | null> };
}

export function createApiDeps(rt: Runtime): ApiDeps {
  return {
    rt,
    // Until the key store exists no key is valid: every protected route answers 401.
    apiKeys: { authenticate: async () => null },
  };
}
