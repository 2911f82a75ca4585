/** api.md scopes: `admin` (everything) and `tokens:read` (GET .../token and GET .../connections/...). */
export type ApiKeyScope = 'admin' | 'tokens:read';

/** Who is calling: an API key (by its id, never the key) or an IAM principal (SigV4 on AWS). */
export interface Principal {
  readonly kind: 'api_key' | 'iam';
  readonly id: string;
  readonly scopes: readonly ApiKeyScope[];
}

export function allows(principal: Principal, needed: ApiKeyScope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(needed);
}
