import type * as z from 'zod';
import type { ApiKeyScope, Principal } from '../domain/principal';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** What a route handler returns: JSON (the default), a redirect or a small HTML page (the callback). */
export type ApiResult =
  | { readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }
  | {
      readonly status: number;
      readonly html: string;
      readonly headers?: Readonly<Record<string, string>>;
    };

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: z.ZodType;
}

/**
 * One API route, declared once: the router validates with these schemas, the OpenAPI document is
 * generated from them, and the typed client derives its types from them.
 */
export interface RouteDef<Deps, P = unknown, Q = unknown, B = unknown> {
  readonly operationId: string;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly method: HttpMethod;
  /** `/v1/integrations/{integration_id}`: `{name}` matches one path segment. */
  readonly path: string;
  /** `public` (no key), or the scope a key needs (`admin` keys may do everything). */
  readonly auth: 'public' | ApiKeyScope;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  /** A larger body limit for this route (bytes); others keep the router's 64 KB. */
  readonly maxBodyBytes?: number;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  handle(input: RouteInput<Deps, P, Q, B>): Promise<ApiResult>;
}

export interface RouteInput<Deps, P, Q, B> {
  readonly deps: Deps;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly headers: Readonly<Record<string, string>>;
  readonly requestId: string;
  /** Time left in this invocation (Lambda's clock); a refresh that cannot finish in it does not start. */
  readonly remainingTimeMs: () => number;
  /** Who called (absent on public routes). */
  readonly principal?: Principal;
}

/** Declares a route with its types inferred from its schemas. */
export function route<Deps, P = undefined, Q = undefined, B = undefined>(
  def: RouteDef<Deps, P, Q, B>,
): RouteDef<Deps, P, Q, B> {
  return def;
}

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous route table erases each route's own types
export type AnyRoute<Deps> = RouteDef<Deps, any, any, any>;
