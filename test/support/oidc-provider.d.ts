// Minimal local typings for oidc-provider 9.x (the package ships none and @types lags behind).
// Only what test/support uses is declared; extend as needed.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type Configuration = Record<string, unknown>;

  /** The stored shape of any oidc-provider model. */
  export interface AdapterPayload {
    [key: string]: unknown;
    jti?: string;
    grantId?: string;
    consumed?: number;
    uid?: string;
    userCode?: string;
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface OidcContext {
    params?: Record<string, unknown> | undefined;
    route?: string;
  }

  /** The subset of a Koa context the harness touches. */
  export interface KoaContext {
    method: string;
    path: string;
    status: number;
    body: unknown;
    respond: boolean;
    req: IncomingMessage;
    res: ServerResponse;
    oidc?: OidcContext | undefined;
  }

  export type Middleware = (ctx: KoaContext, next: () => Promise<unknown>) => Promise<unknown>;

  export interface ClientInstance {
    clientId: string;
  }

  export interface GrantInstance {
    jti: string;
    accountId?: string;
    clientId?: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(indicator: string, scope: string): void;
    save(): Promise<string>;
    destroy(): Promise<void>;
  }

  export interface RefreshTokenInit {
    client: ClientInstance;
    accountId: string;
    grantId: string;
    scope: string;
    gty?: string;
    expiresWithSession?: boolean;
  }

  export interface RefreshTokenInstance {
    jti: string;
    grantId?: string;
    accountId?: string;
    clientId?: string;
    consumed?: number;
    save(): Promise<string>;
    destroy(): Promise<void>;
  }

  export interface InteractionDetails {
    uid: string;
    grantId?: string;
    prompt: {
      name: string;
      details: {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
    };
    params: Record<string, unknown>;
    session?: { accountId: string; uid: string } | undefined;
  }

  export interface InteractionResult {
    login?: { accountId: string };
    consent?: { grantId: string };
  }

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(fn: Middleware): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResult,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    readonly Client: { find(id: string): Promise<ClientInstance | undefined> };
    readonly Grant: {
      new (init: { accountId: string; clientId: string }): GrantInstance;
      find(id: string): Promise<GrantInstance | undefined>;
    };
    readonly RefreshToken: {
      new (init: RefreshTokenInit): RefreshTokenInstance;
      find(
        value: string,
        options?: { ignoreExpiration?: boolean },
      ): Promise<RefreshTokenInstance | undefined>;
      revokeByGrantId(grantId: string): Promise<void>;
    };
    readonly AccessToken: { revokeByGrantId(grantId: string): Promise<void> };
    readonly AuthorizationCode: { revokeByGrantId(grantId: string): Promise<void> };
  }

  export class OIDCProviderError extends Error {
    error: string;
    error_description?: string;
    statusCode: number;
    expose: boolean;
  }

  export const errors: {
    InvalidGrant: new (description?: string) => OIDCProviderError;
    OIDCProviderError: typeof OIDCProviderError;
  };

  export default Provider;
}
