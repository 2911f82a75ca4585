/** Connect-flow sessions (api.md "Re-authorization (connect) flow"): state → PKCE verifier, single use. */

export interface NewConnectSession {
  readonly integrationId: string;
  readonly connectionId: string;
  /** Where the callback sends the end user afterwards; without it the callback shows a page. */
  readonly redirectUri?: string;
  /** The connection's metadata, stored on it by the callback (api.md v1.1); not a secret. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** A consumed session. `codeVerifier` is a secret: never log it. */
export interface ConnectSession {
  readonly state: string;
  readonly integrationId: string;
  readonly connectionId: string;
  readonly redirectUri: string | null;
  /** Metadata given when the session was created, or null (the connection keeps its own). */
  readonly metadata: Readonly<Record<string, unknown>> | null;
  readonly codeVerifier: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface ConnectSessionStore {
  /** Starts a session: a fresh `state` and PKCE verifier. */
  create(input: NewConnectSession): Promise<{ state: string; codeVerifier: string; expiresAt: number }>;
  /** Takes the session for `state` exactly once; null for an unknown, used or expired state. */
  consume(state: string): Promise<ConnectSession | null>;
}
