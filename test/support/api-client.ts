// A small HTTP client for API tests through the real local runtime: every response body is kept so a
// test can check that no secret ever appears in one (api.md, reliability.md promise 9).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalRuntime, startLocalRuntime } from '../../infra/local/runtime';
import { rememberSecret } from './secrets';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

export interface ApiAnswer<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed JSON body (undefined for an empty body). */
  readonly body: T;
}

export interface RequestOptions {
  /** Sent as JSON unless `rawBody` is given. */
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Another API key, or null for none. Default: the client's key. */
  readonly key?: string | null;
}

export class ApiClient {
  /** Every response body this client received, in order. */
  readonly bodies: string[] = [];

  constructor(
    readonly baseUrl: string,
    readonly key: string,
  ) {}

  async request<T = ErrorBody>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiAnswer<T>> {
    const key = options.key === undefined ? this.key : options.key;
    const hasBody = options.body !== undefined || options.rawBody !== undefined;
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
        ...(hasBody ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      ...(hasBody ? { body: options.rawBody ?? JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    this.bodies.push(text);
    return {
      status: res.status,
      headers: res.headers,
      text,
      body: (text === '' ? undefined : JSON.parse(text)) as T,
    };
  }

  get<T = ErrorBody>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }
  put<T = ErrorBody>(path: string, body: unknown, options?: RequestOptions) {
    return this.request<T>('PUT', path, { ...options, body });
  }
  post<T = ErrorBody>(path: string, options?: RequestOptions) {
    return this.request<T>('POST', path, options);
  }
  delete<T = ErrorBody>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }

  /** The values among `secrets` that appear in any response body so far. */
  leaked(secrets: Iterable<string>): string[] {
    const all = this.bodies.join('\n');
    return [...secrets].filter((secret) => secret.length >= 8 && all.includes(secret));
  }
}

export interface ApiRuntime {
  readonly local: LocalRuntime;
  readonly api: ApiClient;
  stop(): Promise<void>;
}

/**
 * The whole service on its local stand-ins with an admin key of our own (`API_KEY`, and its digest
 * as `ADMIN_API_KEY_SHA256` for the key store), in memory, with the scan timer effectively off.
 */
export async function startApiRuntime(env: Readonly<Record<string, string>> = {}): Promise<ApiRuntime> {
  const dataDir = await mkdtemp(join(tmpdir(), 'api-test-'));
  const key = randomBytes(32).toString('base64url'); // 43 characters
  rememberSecret(key);
  const local = await startLocalRuntime({
    port: 0,
    dataDir,
    persist: false,
    scanIntervalSeconds: 3600,
    log: () => {},
    env: {
      API_KEY: key,
      ADMIN_API_KEY_SHA256: createHash('sha256').update(key, 'utf8').digest('hex'),
      LOG_LEVEL: 'ERROR',
      ...env,
    },
  });
  rememberSecret(local.webhookSecret);
  return {
    local,
    api: new ApiClient(local.url, local.apiKey),
    stop: async () => {
      await local.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** `details` of a 400, as `{path: message}` pairs. */
export function problems(body: ErrorBody): Record<string, string> {
  const details = (body.error.details ?? []) as { path: string; message: string }[];
  return Object.fromEntries(details.map((d) => [d.path, d.message]));
}
