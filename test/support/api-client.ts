// A small HTTP client for API tests through the real local runtime: every response body is kept so a
// test can check that no secret ever appears in one (api.md, reliability.md promise 9). The runtime
// itself: startTestRuntime in ./local.ts.

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

/** `details` of a 400, as `{path: message}` pairs. */
export function problems(body: ErrorBody): Record<string, string> {
  const details = (body.error.details ?? []) as { path: string; message: string }[];
  return Object.fromEntries(details.map((d) => [d.path, d.message]));
}
