/**
 * The console's only way to the service: `fetch` to the same origin's `/v1` routes with the API key
 * in the Authorization header. The key lives in this tab's sessionStorage (gone when the tab
 * closes), never in a URL, a cookie or a log line; requests send no cookies and no referrer.
 */

export type Scope = 'admin' | 'tokens:read';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
  /** A 404 for the route itself (a service version without it), not for a missing item. */
  get routeMissing(): boolean {
    return this.status === 404 && this.message.startsWith('no route for');
  }
}

const STORAGE_KEY = 'oauth-refresher.console.api-key';
/** The service's base path: the console is served at `<base>/console`. */
const BASE = location.pathname.replace(/\/console\/?$/, '');

export interface Api {
  readonly scope: Scope;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  del(path: string): Promise<void>;
}

async function call(key: string, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${BASE}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new ApiError(0, 'network_error', 'The service could not be reached.');
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  if (!res.ok) {
    const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    throw new ApiError(
      res.status,
      typeof error?.code === 'string' ? error.code : `http_${res.status}`,
      typeof error?.message === 'string' ? error.message : `HTTP ${res.status}`,
    );
  }
  return json;
}

/** Fired when a signed-in key stops working (revoked or deleted): the console signs out. */
export const UNAUTHORIZED_EVENT = 'oauth-refresher:unauthorized';

export function makeApi(key: string, scope: Scope): Api {
  const guarded = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    try {
      return await call(key, method, path, body);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) dispatchEvent(new Event(UNAUTHORIZED_EVENT));
      throw error;
    }
  };
  return {
    scope,
    get: async <T>(path: string) => (await guarded('GET', path)) as T,
    post: async <T>(path: string, body?: unknown) => (await guarded('POST', path, body)) as T,
    del: async (path: string) => {
      await guarded('DELETE', path);
    },
  };
}

/**
 * Checks a key and finds its scope: any valid key reads the provider catalogue (401 otherwise);
 * only an admin key lists integrations (403 for `tokens:read`).
 */
export async function signIn(key: string): Promise<Api> {
  await call(key, 'GET', '/v1/providers/custom');
  let scope: Scope = 'admin';
  try {
    await call(key, 'GET', '/v1/integrations');
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 403) throw error;
    scope = 'tokens:read';
  }
  sessionStorage.setItem(STORAGE_KEY, key);
  return makeApi(key, scope);
}

export function storedKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function forgetKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** Path segment encoding for ids (`:`, `@` and `.` are allowed in ids). */
export const seg = (id: string): string => encodeURIComponent(id);
