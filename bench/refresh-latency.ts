/**
 * `npx tsx bench/refresh-latency.ts [N]` — the latency of one rotation-safe refresh
 * (`refreshConnection`: lease → decrypt → provider grant → encrypt → fenced commit → outbox)
 * next to a bare refresh_token grant against the same oidc-provider in the same run, interleaved,
 * sequential (one at a time), on dynalite and the local keyring. Prints p50/p99 and the ratios,
 * and the DynamoDB capacity of each refresh as dynalite reports it. Not part of `npm test`.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DynamoConnectionStore } from '../shared/adapters/aws/dynamodb/connections';
import { createLocalKeyring } from '../shared/adapters/local/keyring';
import { createCore } from '../test/support/core';
import { startTestDynalite } from '../test/support/dynamo';
import { startOidcProvider } from '../test/support/oidc';

const N = Number(process.argv[2] ?? 300);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const [dynamo, oidc] = await Promise.all([startTestDynalite(), startOidcProvider({ rotation: 'strict' })]);
  try {
    const table = await dynamo.newTable();
    const core = createCore({ dynamo, table, keyring: createLocalKeyring(randomBytes(32)) });
    const client = oidc.clients[0] ?? { id: '', secret: '' };
    await core.putIntegration(
      'bench',
      { provider: 'custom', client_id: client.id, token_url: oidc.tokenUrl },
      client.secret,
    );
    let units = 0;
    let writes = 0;
    Object.assign(core.deps, {
      store: new DynamoConnectionStore(dynamo.client, {
        tableName: table,
        onConsumedCapacity: (operation, u) => {
          if (operation === 'Lease' || operation === 'Commit') {
            units += u;
            writes++;
          }
        },
      }),
    });
    const keys = [];
    const bare: string[] = [];
    for (let i = 0; i < N + 20; i++) {
      const key = { integrationId: 'bench', connectionId: `c-${i}` };
      await core.importConnection(key, {
        refreshToken: await oidc.mintRefreshToken({ clientId: client.id }),
      });
      keys.push(key);
      bare.push(await oidc.mintRefreshToken({ clientId: client.id }));
    }
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;
    const grant = async (refreshToken: string) => {
      const res = await fetch(oidc.tokenUrl, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`bare grant answered ${res.status}`);
    };
    const service: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < N + 20; i++) {
      const key = keys[i];
      const token = bare[i];
      if (key === undefined || token === undefined) break;
      let t = performance.now();
      const result = await core.refresh(key, { trigger: 'forced' });
      const s = performance.now() - t;
      if (result.outcome !== 'refreshed') throw new Error(`refresh ended ${result.outcome}`);
      t = performance.now();
      await grant(token);
      const d = performance.now() - t;
      if (i >= 20) {
        service.push(s);
        direct.push(d);
      } else {
        units = 0;
        writes = 0;
      }
    }
    const row = (name: string, v: number[]) =>
      `${name.padEnd(34)}${percentile(v, 50).toFixed(2).padStart(9)}${percentile(v, 99).toFixed(2).padStart(9)}`;
    console.log(
      `refresh latency, ${N} sequential refreshes (after 20 warm-up), oidc-provider with strict rotation`,
    );
    console.log(`${''.padEnd(34)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}`);
    console.log(row('bare refresh_token grant', direct));
    console.log(row('refreshConnection (whole refresh)', service));
    console.log(
      `ratio p50 ${(percentile(service, 50) / percentile(direct, 50)).toFixed(2)} × · p99 ${(percentile(service, 99) / percentile(direct, 99)).toFixed(2)} ×`,
    );
    console.log(
      `DynamoDB writes per refresh: ${(writes / N).toFixed(2)} (lease + commit), ${(units / N).toFixed(2)} WCU as dynalite reports it (table only)`,
    );
    console.log(`invalid_grant at the provider: ${oidc.stats().invalidGrant}`);
  } finally {
    await Promise.all([dynamo.close(), oidc.close()]);
  }
}

await main();
