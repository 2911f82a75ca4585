import htm from 'htm';
import { h, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { type Api, ApiError, forgetKey, makeApi, seg, signIn, storedKey, UNAUTHORIZED_EVENT } from './api';
import type {
  Connection,
  ConnectSession,
  Health,
  HistoryItem,
  Integration,
  Page,
  Provider,
  Status,
} from './types';

const html = htm.bind(h);
type Node = ReturnType<typeof html>;

// ---------------------------------------------------------------------------------------------
// Small helpers

const STATUSES: readonly Status[] = ['active', 'failing', 'needs_reauth'];
const PAGE_SIZE = 25;
const REAUTH_WINDOW_DAYS = 7;

function when(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((t - Date.now()) / 1000);
  const abs = Math.abs(s);
  const span =
    abs < 60
      ? `${abs} s`
      : abs < 3600
        ? `${Math.round(abs / 60)} min`
        : abs < 172_800
          ? `${Math.round(abs / 3600)} h`
          : `${Math.round(abs / 86_400)} d`;
  return s >= 0 ? `in ${span}` : `${span} ago`;
}

function message(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401)
      return 'That API key was not accepted (401 unauthorized). Check it and sign in again.';
    if (error.status === 403) return 'This key may not do that (403 forbidden): it needs the admin scope.';
    if (error.status === 0) return error.message;
    return `${error.message} (${error.status} ${error.code})`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Loads `load()` whenever `deps` change: `[value, error, reload]`. */
function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): [T | undefined, unknown, () => void] {
  const [state, setState] = useState<{ value?: T; error?: unknown }>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState({});
    load().then(
      (value) => live && setState({ value }),
      (error: unknown) => live && setState({ error: error ?? new Error('failed') }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return [state.value, state.error, () => setTick((t) => t + 1)];
}

function Badge({ status }: { status: string }): Node {
  return html`<span class=${`badge ${status}`}>${status.replace('_', ' ')}</span>`;
}

function ErrorNote({ error }: { error: unknown }): Node {
  return html`<p class="error" role="alert">${message(error)}</p>`;
}

function Unavailable({ what }: { what: string }): Node {
  return html`<p class="muted unavailable">${what} is not available on this service yet (the route answered 404).</p>`;
}

// ---------------------------------------------------------------------------------------------
// Routing (the hash: never sent to the server, never holds the key)

interface Route {
  readonly view: 'integrations' | 'connections' | 'connection' | 'providers';
  readonly params: URLSearchParams;
  readonly ids?: readonly [string, string];
}

function parseHash(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = hash.split('?', 2);
  const params = new URLSearchParams(query);
  const parts = path.split('/').map((p) => decodeURIComponent(p));
  if (parts[0] === 'c' && parts[1] !== undefined && parts[2] !== undefined)
    return { view: 'connection', params, ids: [parts[1], parts[2]] };
  if (parts[0] === 'connections' || parts[0] === 'providers') return { view: parts[0], params };
  return { view: 'integrations', params };
}

const connectionHref = (c: { integration_id: string; connection_id: string }) =>
  `#/c/${seg(c.integration_id)}/${seg(c.connection_id)}`;
const connectionsHref = (params: Record<string, string>) =>
  `#/connections?${new URLSearchParams(params).toString()}`;

function useRoute(): Route {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const onChange = () => setRoute(parseHash());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

// ---------------------------------------------------------------------------------------------
// Sign-in

function SignIn({ onSignedIn, notice }: { onSignedIn: (api: Api) => void; notice?: string }): Node {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(key.trim()));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="signin">
    <h1>oauth-refresher console</h1>
    <form onSubmit=${submit}>
      <label for="api-key">API key</label>
      <input id="api-key" name="api-key" type="password" autocomplete="off" spellcheck="false"
        placeholder="ork_…" value=${key} onInput=${(e: Event) => setKey((e.target as HTMLInputElement).value)} />
      <button type="submit" class="primary" disabled=${busy || key.trim() === ''}>Sign in</button>
    </form>
    ${notice === undefined ? null : html`<p class="muted">${notice}</p>`}
    ${error === undefined ? null : html`<${ErrorNote} error=${error} />`}
    <p class="muted">The key stays in this tab only (sessionStorage): never in a URL, a cookie or a log.
      An admin key sees everything and may act; a <code>tokens:read</code> key sees a read-only console.</p>
  </main>`;
}

// ---------------------------------------------------------------------------------------------
// Integrations and their health

interface Bucket {
  readonly ok: number;
  readonly failed: number;
}

/** Refreshes and failures per hour over the last 24 h, from the history of up to 20 connections. */
async function activity(api: Api, integrationId: string): Promise<{ buckets: Bucket[]; sampled: number }> {
  const page = await api.get<Page<Connection>>(
    `/v1/connections?integration_id=${seg(integrationId)}&limit=20`,
  );
  const now = Date.now();
  const buckets = Array.from({ length: 24 }, () => ({ ok: 0, failed: 0 }));
  const histories = await Promise.all(
    page.items.map((c) =>
      api.get<Page<HistoryItem>>(
        `/v1/integrations/${seg(c.integration_id)}/connections/${seg(c.connection_id)}/history?limit=200`,
      ),
    ),
  );
  for (const item of histories.flatMap((h) => h.items)) {
    if (item.kind !== 'refresh') continue;
    const age = now - Date.parse(item.at);
    const slot = 23 - Math.floor(age / 3_600_000);
    const bucket = buckets[slot];
    if (bucket === undefined) continue;
    if (item.outcome === 'failed') bucket.failed += 1;
    else if (item.outcome === 'refreshed') bucket.ok += 1;
  }
  return { buckets, sampled: page.items.length };
}

function Chart({ buckets }: { buckets: readonly Bucket[] }): Node {
  const max = Math.max(1, ...buckets.map((b) => b.ok + b.failed));
  const w = 10;
  const height = 48;
  return html`<svg class="chart" viewBox=${`0 0 ${buckets.length * w} ${height}`} role="img"
    aria-label="Refreshes (green) and failures (red) per hour over the last 24 hours">
    ${buckets.map((b, i) => {
      const ok = (b.ok / max) * height;
      const failed = (b.failed / max) * height;
      const hoursAgo = buckets.length - 1 - i;
      return html`<g key=${i}>
        <title>${hoursAgo === 0 ? 'this hour' : `${hoursAgo} h ago`}: ${b.ok} refreshed, ${b.failed} failed</title>
        <rect x=${i * w + 1} y=${height - ok - failed} width=${w - 2} height=${ok} class="bar-ok" />
        <rect x=${i * w + 1} y=${height - failed} width=${w - 2} height=${failed} class="bar-failed" />
      </g>`;
    })}
  </svg>`;
}

function Activity({ api, integrationId }: { api: Api; integrationId: string }): Node {
  const [data, error] = useLoad(() => activity(api, integrationId), [integrationId]);
  if (error instanceof ApiError && error.routeMissing) return html`<${Unavailable} what="Refresh history" />`;
  if (error !== undefined) return html`<${ErrorNote} error=${error} />`;
  if (data === undefined) return html`<p class="muted">Loading activity…</p>`;
  const total = data.buckets.reduce((n, b) => n + b.ok + b.failed, 0);
  return html`<div class="activity">
    <${Chart} buckets=${data.buckets} />
    <p class="muted small">
      ${`Last 24 h: ${total} refresh attempts in the history of ${data.sampled} connection${data.sampled === 1 ? '' : 's'} (green refreshed, red failed).`}
    </p>
  </div>`;
}

function HealthPanel({ api, integration }: { api: Api; integration: Integration }): Node {
  const id = integration.integration_id;
  const [health, error] = useLoad(() => api.get<Health>(`/v1/integrations/${seg(id)}/health`), [id]);
  if (error instanceof ApiError && error.routeMissing) return html`<${Unavailable} what="Health" />`;
  if (error !== undefined) return html`<${ErrorNote} error=${error} />`;
  if (health === undefined) return html`<p class="muted">Loading health…</p>`;
  const failures = Object.entries(health.failures_24h);
  return html`<div class="health">
    <div class="counts">
      ${STATUSES.map(
        (s) => html`<a class=${`count ${s}`} href=${connectionsHref({ integration_id: id, status: s })}>
          <strong>${health.connections[s]}</strong> ${s.replace('_', ' ')}</a>`,
      )}
    </div>
    <dl>
      <dt>Failures (24 h)</dt>
      <dd>${failures.length === 0 ? 'none' : failures.map(([code, n]) => html`<span class="chip">${code} ${n}</span>`)}</dd>
      <dt>Next refresh</dt><dd>${when(health.next_refresh_at)}</dd>
      ${
        health.refresh_latency_ms === undefined
          ? null
          : html`<dt>Refresh latency</dt><dd>p50 ${health.refresh_latency_ms.p50 ?? '—'} ms · p95 ${health.refresh_latency_ms.p95 ?? '—'} ms</dd>`
      }
      ${
        health.reauth_due_within_lead === undefined
          ? null
          : html`<dt>Reauth due soon</dt><dd><a href=${connectionsHref({ integration_id: id, reauth: '1' })}>${health.reauth_due_within_lead}</a></dd>`
      }
    </dl>
  </div>`;
}

function IntegrationCard({ api, integration }: { api: Api; integration: Integration }): Node {
  const id = integration.integration_id;
  const [note, setNote] = useState<string | undefined>(undefined);
  const retry = async () => {
    try {
      const result = await api.post<{ retried: number; complete: boolean }>(
        `/v1/integrations/${seg(id)}/retry`,
      );
      setNote(
        `${result.retried} held connection${result.retried === 1 ? '' : 's'} made due now` +
          (result.complete ? '.' : '; more remain: press again.'),
      );
    } catch (e) {
      setNote(message(e));
    }
  };
  return html`<section class="card integration" data-integration=${id}>
    <header>
      <h2>${id}</h2>
      <span class="muted">${integration.provider} · client ${integration.client_id}</span>
      <a class="right" href=${connectionsHref({ integration_id: id })}>Connections →</a>
    </header>
    <${HealthPanel} api=${api} integration=${integration} />
    <${Activity} api=${api} integrationId=${id} />
    ${
      api.scope === 'admin'
        ? html`<p><button onClick=${retry} title="Makes connections held by a misconfiguration (failing) due now">
            Retry held connections</button> ${note === undefined ? null : html`<span class="muted">${note}</span>`}</p>`
        : null
    }
  </section>`;
}

function ReadOnlyLookup(): Node {
  const [integrationId, setIntegrationId] = useState('');
  const [connectionId, setConnectionId] = useState('');
  const open = (event: Event) => {
    event.preventDefault();
    location.hash = connectionHref({
      integration_id: integrationId.trim(),
      connection_id: connectionId.trim(),
    });
  };
  return html`<section class="card">
    <p>This key has the <code>tokens:read</code> scope: listing integrations and connections needs an admin key.
      It may read one connection and its history.</p>
    <form class="inline" onSubmit=${open}>
      <input aria-label="Integration id" placeholder="integration id" value=${integrationId}
        onInput=${(e: Event) => setIntegrationId((e.target as HTMLInputElement).value)} />
      <input aria-label="Connection id" placeholder="connection id" value=${connectionId}
        onInput=${(e: Event) => setConnectionId((e.target as HTMLInputElement).value)} />
      <button type="submit">Open connection</button>
    </form>
  </section>`;
}

function Integrations({ api }: { api: Api }): Node {
  const [list, error] = useLoad(
    () => (api.scope === 'admin' ? api.get<Page<Integration>>('/v1/integrations') : Promise.resolve(null)),
    [api],
  );
  if (api.scope !== 'admin') return html`<${ReadOnlyLookup} />`;
  if (error !== undefined) return html`<${ErrorNote} error=${error} />`;
  if (list === undefined || list === null) return html`<p class="muted">Loading…</p>`;
  if (list.items.length === 0)
    return html`<p class="muted">No integrations yet: register one with <code>PUT /v1/integrations/{id}</code>.</p>`;
  return html`<div class="grid">
    ${list.items.map((i) => html`<${IntegrationCard} key=${i.integration_id} api=${api} integration=${i} />`)}
  </div>`;
}

// ---------------------------------------------------------------------------------------------
// Connections: filters, search, paging

function matches(c: Connection, q: string): boolean {
  if (q === '') return true;
  const needle = q.toLowerCase();
  return (
    c.connection_id.toLowerCase().includes(needle) ||
    JSON.stringify(c.metadata).toLowerCase().includes(needle) ||
    (c.account_id ?? '').toLowerCase().includes(needle)
  );
}

function Connections({ api, params }: { api: Api; params: URLSearchParams }): Node {
  const integrationId = params.get('integration_id') ?? '';
  const status = params.get('status') ?? '';
  const reauth = params.get('reauth') === '1';
  const [q, setQ] = useState(params.get('q') ?? '');
  // Cursors of the pages before the current one (Previous pops), and the current one.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const filterKey = `${integrationId}|${status}|${reauth}`;
  useEffect(() => setCursors([]), [filterKey]);
  const [integrations] = useLoad(
    () => (api.scope === 'admin' ? api.get<Page<Integration>>('/v1/integrations') : Promise.resolve(null)),
    [api],
  );
  const reauthBefore = new Date(Date.now() + REAUTH_WINDOW_DAYS * 86_400_000).toISOString();
  const [page, error] = useLoad(() => {
    if (api.scope !== 'admin') return Promise.resolve(null);
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (integrationId !== '') query.set('integration_id', integrationId);
    if (status !== '') query.set('status', status);
    if (reauth) query.set('reauth_due_before', reauthBefore);
    if (cursor !== undefined) query.set('cursor', cursor);
    return api.get<Page<Connection>>(`/v1/connections?${query.toString()}`);
  }, [api, filterKey, cursor]);
  // An exact id typed into the search box, looked up directly (it may be on another page).
  const [exact] = useLoad(
    () =>
      integrationId === '' || q.trim() === ''
        ? Promise.resolve(null)
        : api
            .get<Connection>(`/v1/integrations/${seg(integrationId)}/connections/${seg(q.trim())}`)
            .catch(() => null),
    [api, integrationId, q],
  );
  if (api.scope !== 'admin') return html`<${ReadOnlyLookup} />`;

  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value === '') next.delete(name);
    else next.set(name, value);
    location.hash = `#/connections?${next.toString()}`;
  };
  const reauthKnown = page?.items.some((c) => 'reauth_due_at' in c) ?? true;
  let items = (page?.items ?? []).filter((c) => matches(c, q.trim()));
  // Where the service ignores `reauth_due_before` (no v1.1 clocks yet), filter what is shown.
  if (reauth) items = items.filter((c) => c.reauth_due_at != null && c.reauth_due_at < reauthBefore);
  if (exact != null && !items.some((c) => c.connection_id === exact.connection_id)) items = [exact, ...items];

  return html`<section class="card">
    <form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>Integration
        <select name="integration" value=${integrationId} onChange=${(e: Event) => setFilter('integration_id', (e.target as HTMLSelectElement).value)}>
          <option value="">all</option>
          ${(integrations?.items ?? []).map((i) => html`<option value=${i.integration_id}>${i.integration_id}</option>`)}
        </select></label>
      <label>Status
        <select name="status" value=${status} onChange=${(e: Event) => setFilter('status', (e.target as HTMLSelectElement).value)}>
          <option value="">any</option>
          ${STATUSES.map((s) => html`<option value=${s}>${s.replace('_', ' ')}</option>`)}
        </select></label>
      <label class="check"><input type="checkbox" name="reauth" checked=${reauth}
        onChange=${(e: Event) => setFilter('reauth', (e.target as HTMLInputElement).checked ? '1' : '')} />
        reauth due within ${REAUTH_WINDOW_DAYS} days</label>
      <label class="grow">Search
        <input type="search" name="q" placeholder="connection id, metadata or account" value=${q}
          onInput=${(e: Event) => setQ((e.target as HTMLInputElement).value)} /></label>
    </form>
    ${reauth && !reauthKnown ? html`<p class="muted">This service shows no reauth dates yet (api.md v1.1 <code>reauth_due_at</code>).</p>` : null}
    ${error !== undefined ? html`<${ErrorNote} error=${error} />` : null}
    ${
      page === undefined
        ? html`<p class="muted">Loading…</p>`
        : html`<table class="connections">
            <thead><tr><th>Connection</th><th>Integration</th><th>Status</th><th>Last error</th><th>Next refresh</th><th>Metadata</th></tr></thead>
            <tbody>
              ${items.map(
                (
                  c,
                ) => html`<tr key=${`${c.integration_id}/${c.connection_id}`} data-connection=${c.connection_id}>
                  <td><a href=${connectionHref(c)}>${c.connection_id}</a></td>
                  <td>${c.integration_id}</td>
                  <td><${Badge} status=${c.status} /></td>
                  <td>${c.last_error === null ? '—' : c.last_error.code}</td>
                  <td>${when(c.next_refresh_at)}</td>
                  <td class="meta">${Object.keys(c.metadata).length === 0 ? '—' : JSON.stringify(c.metadata)}</td>
                </tr>`,
              )}
              ${items.length === 0 ? html`<tr><td colspan="6" class="muted">No connections match on this page.</td></tr>` : null}
            </tbody>
          </table>`
    }
    <p class="pager">
      <button disabled=${cursors.length === 0} onClick=${() => setCursors((c) => c.slice(0, -1))}>← Previous</button>
      <span class="muted">page ${cursors.length + 1}${q.trim() === '' ? '' : ' (search filters the page shown)'}</span>
      <button disabled=${page?.next_cursor == null} onClick=${() => page?.next_cursor != null && setCursors((c) => [...c, page.next_cursor as string])}>Next →</button>
    </p>
  </section>`;
}

// ---------------------------------------------------------------------------------------------
// One connection: view, history, actions

function describe(item: HistoryItem): Node {
  switch (item.kind) {
    case 'refresh':
      return html`<span>${item.trigger ?? ''} refresh → <strong>${item.outcome ?? '?'}</strong>
        ${item.error == null ? null : html` <span class="chip failing">${item.error.code}</span>`}
        ${item.duration_ms === undefined ? null : html` <span class="muted">${item.duration_ms} ms</span>`}</span>`;
    case 'transition':
      return html`<span><${Badge} status=${item.from ?? '?'} /> → <${Badge} status=${item.to ?? '?'} />
        ${item.delivery === undefined ? null : html` webhook <span class=${`chip ${item.delivery}`}>${item.delivery}</span>`}</span>`;
    case 'token_reads':
      return html`<span>${item.count ?? 0} token reads on ${item.day ?? ''}</span>`;
    case 'import':
      return html`<span>credentials imported</span>`;
    case 'reconnect':
      return html`<span>reconnected through the connect flow</span>`;
    default:
      return html`<span>${item.kind}</span>`;
  }
}

function History({ api, path, version }: { api: Api; path: string; version: number }): Node {
  const [items, setItems] = useState<HistoryItem[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const load = async (cursor: string | null) => {
    setLoading(true);
    try {
      const page = await api.get<Page<HistoryItem>>(
        `${path}/history?limit=50${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
      );
      setItems((prev) => (cursor === null ? page.items : [...prev, ...page.items]));
      setNext(page.next_cursor ?? null);
      setError(undefined);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load(null);
  }, [path, version]);
  if (error instanceof ApiError && error.routeMissing) return html`<${Unavailable} what="History" />`;
  return html`<section class="card history">
    <h3>History</h3>
    ${error === undefined ? null : html`<${ErrorNote} error=${error} />`}
    <table>
      <thead><tr><th>When</th><th>What</th></tr></thead>
      <tbody>
        ${items.map(
          (item, i) =>
            html`<tr key=${i} class=${`kind-${item.kind}`}><td title=${item.at}>${when(item.at)}</td><td>${describe(item)}</td></tr>`,
        )}
        ${!loading && items.length === 0 ? html`<tr><td colspan="2" class="muted">Nothing recorded yet.</td></tr>` : null}
      </tbody>
    </table>
    ${next === null ? null : html`<p><button onClick=${() => load(next)} disabled=${loading}>Older…</button></p>`}
  </section>`;
}

function ReconnectLink({ session }: { session: ConnectSession }): Node {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(session.authorization_url);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return html`<div class="reconnect">
    <label for="reconnect-url">Send this link to the customer (single use, expires ${when(session.expires_at)}):</label>
    <div class="inline">
      <input id="reconnect-url" readonly value=${session.authorization_url} onFocus=${(e: Event) => (e.target as HTMLInputElement).select()} />
      <button onClick=${copy}>${copied ? 'Copied' : 'Copy'}</button>
    </div>
  </div>`;
}

function Actions({
  api,
  connection,
  onChange,
}: {
  api: Api;
  connection: Connection;
  onChange: (c: Connection | null) => void;
}): Node {
  const path = `/v1/integrations/${seg(connection.integration_id)}/connections/${seg(connection.connection_id)}`;
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<{ text: string; error: boolean } | undefined>(undefined);
  const [session, setSession] = useState<ConnectSession | undefined>(undefined);
  const [confirming, setConfirming] = useState(false);
  if (api.scope !== 'admin')
    return html`<p class="muted readonly-note">Read-only key: refreshing, reconnect links, retries and deleting need an admin key.</p>`;
  const act = async (label: string, work: () => Promise<void>) => {
    setBusy(true);
    setNote(undefined);
    try {
      await work();
      setNote({ text: `${label}: done.`, error: false });
    } catch (e) {
      setNote({ text: `${label}: ${message(e)}`, error: true });
    } finally {
      setBusy(false);
    }
  };
  const held = connection.status !== 'active';
  return html`<section class="card actions">
    <h3>Actions</h3>
    <p class="buttons">
      <button disabled=${busy} onClick=${() => act('Refresh', async () => onChange(await api.post<Connection>(`${path}/refresh`)))}>Refresh now</button>
      <button disabled=${busy} onClick=${() =>
        act('Reconnect link', async () =>
          setSession(
            await api.post<ConnectSession>('/v1/connect-sessions', {
              integration_id: connection.integration_id,
              connection_id: connection.connection_id,
            }),
          ),
        )}>Create reconnect link</button>
      <button disabled=${busy || !held} title="For a connection held by a misconfiguration or a failure the provider never called final"
        onClick=${() => act('Retry', async () => onChange(await api.post<Connection>(`${path}/retry`)))}>Retry</button>
      <button class="danger" disabled=${busy} onClick=${() => setConfirming(true)}>Delete…</button>
    </p>
    ${
      confirming
        ? html`<div class="confirm" role="alertdialog" aria-label="Confirm delete">
            <p>Delete <strong>${connection.connection_id}</strong>? Its tokens are gone for good; the customer must connect again.</p>
            <button class="danger" onClick=${() =>
              act('Delete', async () => {
                await api.del(path);
                setConfirming(false);
                onChange(null);
              })}>Delete for good</button>
            <button onClick=${() => setConfirming(false)}>Cancel</button>
          </div>`
        : null
    }
    ${session === undefined ? null : html`<${ReconnectLink} session=${session} />`}
    ${note === undefined ? null : html`<p class=${note.error ? 'error' : 'ok'} role="status">${note.text}</p>`}
  </section>`;
}

function ConnectionView({ api, ids }: { api: Api; ids: readonly [string, string] }): Node {
  const [integrationId, connectionId] = ids;
  const path = `/v1/integrations/${seg(integrationId)}/connections/${seg(connectionId)}`;
  const [loaded, error, reload] = useLoad(() => api.get<Connection>(path), [path]);
  const [override, setOverride] = useState<Connection | null | undefined>(undefined);
  const [version, setVersion] = useState(0);
  useEffect(() => setOverride(undefined), [loaded]);
  const connection = override === undefined ? loaded : override;
  if (override === null)
    return html`<section class="card"><p class="ok">Deleted ${connectionId}.</p><a href=${connectionsHref({ integration_id: integrationId })}>Back to the connections</a></section>`;
  if (error !== undefined) return html`<${ErrorNote} error=${error} />`;
  if (connection === undefined || connection === null) return html`<p class="muted">Loading…</p>`;
  const fields: Array<[string, Node | string]> = [
    ['Status', html`<${Badge} status=${connection.status} />`],
    ['Provider', connection.provider],
    ['Account', connection.account_id ?? '—'],
    ['Access token expires', when(connection.access_token_expires_at)],
    ['Last refresh', when(connection.last_refresh_at)],
    ['Next refresh', when(connection.next_refresh_at)],
    ['Consecutive failures', String(connection.consecutive_failures)],
    [
      'Last error',
      connection.last_error === null
        ? '—'
        : `${connection.last_error.code}${connection.last_error.provider_error === null ? '' : ` (${connection.last_error.provider_error})`}: ${connection.last_error.message}`,
    ],
    ...(connection.refresh_token_expires_at === undefined
      ? []
      : [['Refresh token expires', when(connection.refresh_token_expires_at)] as [string, string]]),
    ...(connection.reauth_due_at === undefined
      ? []
      : [['Reauth due', when(connection.reauth_due_at)] as [string, string]]),
    ['Created', connection.created_at],
    ['Updated', connection.updated_at],
  ];
  return html`<div class="connection" data-status=${connection.status}>
    <p><a href=${connectionsHref({ integration_id: integrationId })}>← ${integrationId}</a></p>
    <h2>${connectionId} <${Badge} status=${connection.status} /> <button class="small" onClick=${() => {
      reload();
      setVersion((v) => v + 1);
    }}>Reload</button></h2>
    <div class="columns">
      <section class="card">
        <dl class="fields">${fields.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
        <h3>Metadata</h3>
        <pre>${JSON.stringify(connection.metadata, null, 2)}</pre>
      </section>
      <${Actions} api=${api} connection=${connection} onChange=${(c: Connection | null) => {
        setOverride(c);
        setVersion((v) => v + 1);
      }} />
    </div>
    <${History} api=${api} path=${path} version=${version} />
  </div>`;
}

// ---------------------------------------------------------------------------------------------
// Provider catalogue

/** A catalogue behaviour in seconds; `null` is unknown (api.md v1.1 `GET /v1/providers`). */
const seconds = (s: number | null) =>
  s === null
    ? 'unknown'
    : s >= 86_400
      ? `${Math.round(s / 86_400)} d`
      : s >= 3600
        ? `${Math.round(s / 3600)} h`
        : `${s} s`;

function Providers({ api }: { api: Api }): Node {
  const [list, error] = useLoad(() => api.get<Page<Provider>>('/v1/providers'), [api]);
  const [q, setQ] = useState('');
  if (error !== undefined) return html`<${ErrorNote} error=${error} />`;
  if (list === undefined) return html`<p class="muted">Loading…</p>`;
  const shown = list.items.filter((p) =>
    `${p.provider} ${p.display_name}`.toLowerCase().includes(q.toLowerCase()),
  );
  return html`<section class="card">
    <p class="filters"><label class="grow">Find a provider <input type="search" value=${q}
      onInput=${(e: Event) => setQ((e.target as HTMLInputElement).value)} /></label></p>
    <table class="providers">
      <thead><tr><th>Provider</th><th>Rotates refresh tokens</th><th>Reuse grace</th><th>Grant lifetime</th><th>Idle lifetime</th><th>Client auth</th><th>Known behaviours</th></tr></thead>
      <tbody>
        ${shown.map(
          (p) => html`<tr key=${p.provider}>
            <td><strong>${p.display_name}</strong><br /><code>${p.provider}</code></td>
            <td>${p.rotates_refresh_token === null ? 'unknown' : p.rotates_refresh_token ? 'yes' : 'no'}</td>
            <td>${seconds(p.reuse_grace_seconds)}</td>
            <td>${seconds(p.grant_lifetime_seconds)}</td>
            <td>${seconds(p.refresh_token_idle_seconds)}</td>
            <td>${p.client_auth ?? 'unknown'}</td>
            <td><details><summary>${p.quirks.length} quirk${p.quirks.length === 1 ? '' : 's'}, ${p.sources.length} source${p.sources.length === 1 ? '' : 's'}</summary>
              <ul>${p.quirks.map((text) => html`<li>${text}</li>`)}</ul>
              <ul class="sources">${p.sources.map((url) => html`<li><a href=${url} rel="noreferrer noopener" target="_blank">${url}</a></li>`)}</ul>
            </details></td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

// ---------------------------------------------------------------------------------------------
// The shell

function Shell({ api, onSignOut }: { api: Api; onSignOut: () => void }): Node {
  const route = useRoute();
  const tab = (view: Route['view'], href: string, label: string) =>
    html`<a href=${href} class=${route.view === view || (view === 'connections' && route.view === 'connection') ? 'active' : ''}>${label}</a>`;
  let body: Node;
  if (route.view === 'connection' && route.ids !== undefined)
    body = html`<${ConnectionView} key=${route.ids.join('/')} api=${api} ids=${route.ids} />`;
  else if (route.view === 'connections') body = html`<${Connections} api=${api} params=${route.params} />`;
  else if (route.view === 'providers') body = html`<${Providers} api=${api} />`;
  else body = html`<${Integrations} api=${api} />`;
  return html`<div class="shell">
    <nav>
      <strong class="brand">oauth-refresher</strong>
      ${tab('integrations', '#/integrations', 'Integrations')}
      ${tab('connections', '#/connections', 'Connections')}
      ${tab('providers', '#/providers', 'Providers')}
      <span class="right">
        <span class=${`scope ${api.scope === 'admin' ? 'admin' : 'readonly'}`}>${api.scope === 'admin' ? 'admin' : 'read-only (tokens:read)'}</span>
        <button class="small" onClick=${onSignOut}>Sign out</button>
      </span>
    </nav>
    <main>${body}</main>
  </div>`;
}

function App(): Node {
  const [api, setApi] = useState<Api | null>(null);
  const [restoring, setRestoring] = useState(storedKey() !== null);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  useEffect(() => {
    const key = storedKey();
    if (key === null) return;
    // The key kept for this tab: check it again (it may have been revoked since).
    signIn(key)
      .then(setApi, (error: unknown) => {
        forgetKey();
        setNotice(message(error));
      })
      .finally(() => setRestoring(false));
  }, []);
  useEffect(() => {
    const onUnauthorized = () => {
      forgetKey();
      setApi(null);
      setNotice('The API key stopped working (revoked or deleted): sign in again.');
    };
    addEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
    return () => removeEventListener(UNAUTHORIZED_EVENT, onUnauthorized);
  }, []);
  if (restoring) return html`<p class="muted">Signing in…</p>`;
  if (api === null)
    return html`<${SignIn} onSignedIn=${(a: Api) => setApi(makeApi(storedKey() ?? '', a.scope))} notice=${notice} />`;
  return html`<${Shell} api=${api} onSignOut=${() => {
    forgetKey();
    setApi(null);
  }} />`;
}

const root = document.getElementById('app');
if (root !== null) render(html`<${App} />`, root);
