import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveIntegration } from '../../shared/refresh/save-integration';
import { startTestRuntime, type TestRuntime } from '../support/local';
import { rememberSecret } from '../support/secrets';

// A provider without ID tokens whose code exchange names the account in a field the catalogue
// knows (Dropbox: `account_id`): the connection records it, and a reconnect by another account
// is refused like one with an ID token. The token endpoint is a stand-in on loopback that answers
// the code exchange the way Dropbox documents it.
describe('connect flow: account identity from a catalogue-defined field', () => {
  let runtime: TestRuntime;
  let tokenEndpoint: Server;
  /** The account the next code exchange answers for. */
  let account = 'dbid:AAA';

  beforeAll(async () => {
    tokenEndpoint = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const accessToken = `sl.${randomBytes(12).toString('hex')}`;
        const refreshToken = `rt-${randomBytes(12).toString('hex')}`;
        rememberSecret(accessToken, refreshToken);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            access_token: accessToken,
            refresh_token: refreshToken,
            expires_in: 14_400,
            token_type: 'bearer',
            account_id: account,
            uid: '12345',
          }),
        );
      });
    });
    await new Promise<void>((resolve) => tokenEndpoint.listen(0, '127.0.0.1', resolve));
    const tokenUrl = `http://127.0.0.1:${(tokenEndpoint.address() as AddressInfo).port}/oauth2/token`;
    runtime = await startTestRuntime({ name: 'connect-fields' });
    const secret = `s-${randomBytes(8).toString('hex')}`;
    rememberSecret(secret);
    await saveIntegration(
      runtime.local.functions.api,
      'dropbox-test',
      {
        provider: 'dropbox',
        client_id: 'app-key',
        token_url: tokenUrl,
        authorization_url: 'http://127.0.0.1:1/oauth2/authorize',
      },
      secret,
    );
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    tokenEndpoint?.closeAllConnections();
    await new Promise<void>((resolve) => tokenEndpoint?.close(() => resolve()));
  });

  /** A session, then the browser back at the callback with a code (the provider's page is skipped). */
  async function connect(connectionId: string): Promise<URL> {
    const session = await runtime.api.post<{ state: string }>('/v1/connect-sessions', {
      body: {
        integration_id: 'dropbox-test',
        connection_id: connectionId,
        redirect_uri: 'https://app.example/done',
      },
    });
    const { state } = session.body;
    const callback = await fetch(
      `${runtime.local.url}/v1/oauth/callback?${new URLSearchParams({ code: `c-${randomBytes(6).toString('hex')}`, state })}`,
      { redirect: 'manual' },
    );
    await callback.body?.cancel();
    return new URL(callback.headers.get('location') ?? '');
  }
  const view = async (connectionId: string) =>
    (
      await runtime.api.get<{ account_id: string | null; updated_at: string }>(
        `/v1/integrations/dropbox-test/connections/${connectionId}`,
      )
    ).body;

  it('records dropbox|<account_id> and refuses another account on reconnect', async () => {
    account = 'dbid:AAA';
    expect((await connect('box-1')).searchParams.get('status')).toBe('success');
    const first = await view('box-1');
    expect(first.account_id).toBe('dropbox|dbid:AAA');

    account = 'dbid:BBB';
    const refused = await connect('box-1');
    expect(refused.searchParams.get('error')).toBe('account_mismatch');
    expect(await view('box-1')).toEqual(first);

    account = 'dbid:AAA';
    expect((await connect('box-1')).searchParams.get('status')).toBe('success');
  });
});
