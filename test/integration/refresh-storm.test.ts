import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalKeyring } from '../../shared/adapters/local/keyring';
import { processRefreshRecord, RefreshLimiter } from '../../shared/pipeline/refresher';
import { silentLogger } from '../../shared/ports/logger';
import { nullMetrics } from '../../shared/ports/metrics';
import { createCore } from '../support/core';
import { startTestDynalite, type TestDynamo } from '../support/dynamo';
import { type ProviderDouble, startProviderDouble } from '../support/provider-double';

const CONNECTIONS = 10_000;
const PER_INTEGRATION = 4;
const JITTER_SECONDS = 120;

// reliability.md promise 11: 10,000 connections due in the same minute never exceed the
// configured per-provider concurrency at the provider, and their next refreshes spread out.
describe('a refresh storm', () => {
  let dynamo: TestDynamo;
  let double: ProviderDouble;

  beforeAll(async () => {
    dynamo = await startTestDynalite();
    double = await startProviderDouble({ mode: { mode: 'slow', delayMs: 2 }, accessTokenTtlSeconds: 3_600 });
  });
  afterAll(async () => {
    await Promise.all([dynamo?.close(), double?.close()]);
  });

  it(`${CONNECTIONS} due connections of one provider: at most ${PER_INTEGRATION} calls at once, next refreshes spread over the jitter window`, async () => {
    const table = await dynamo.newTable();
    const core = createCore({ dynamo, table, keyring: createLocalKeyring(randomBytes(32)) });
    await core.putIntegration(
      'storm',
      {
        provider: 'custom',
        client_id: 'client-1',
        token_url: double.url,
        refresh: { jitter_seconds: JITTER_SECONDS, margin_seconds: 600 },
      },
      'storm-client-secret',
    );
    const keys = Array.from({ length: CONNECTIONS }, (_, i) => ({
      integrationId: 'storm',
      connectionId: `s-${i}`,
    }));
    const seed = pLimit(32);
    // All of them expire within seconds of each other, so all are due at once.
    const expiresAt = Date.now() + 2_000;
    await Promise.all(
      keys.map((key) =>
        seed(() => core.importConnection(key, { refreshToken: double.mintFamily(), expiresAt })),
      ),
    );
    double.resetRequests();

    const limiter = new RefreshLimiter({ concurrency: 10, perIntegration: PER_INTEGRATION });
    const deps = { refresh: core.deps, limiter, logger: silentLogger, metrics: nullMetrics };
    const bodies = keys.map((k) =>
      JSON.stringify({
        v: 1,
        integration_id: k.integrationId,
        connection_id: k.connectionId,
        due_at: Date.now(),
      }),
    );
    // Everything arrives at once, as a burst of SQS batches would.
    await Promise.all(bodies.map((body) => processRefreshRecord(deps, body)));

    expect(double.requests.count).toBe(CONNECTIONS);
    expect(double.requests.maxConcurrent).toBeLessThanOrEqual(PER_INTEGRATION);
    const next = (await Promise.all(keys.map((k) => core.store.get(k)))).map((c) => c?.nextRefreshAt ?? 0);
    const spread = Math.max(...next) - Math.min(...next);
    // Lifetime 1 h: due = expiry − 15 min margin... (capped) − jitter in [0, 120 s], plus the refresh duration.
    expect(spread).toBeGreaterThanOrEqual(0.8 * JITTER_SECONDS * 1_000);
    expect(new Set(next).size).toBeGreaterThan(CONNECTIONS * 0.9);
  }, 240_000);

  it('several containers: the provider sees at most containers × the per-integration cap (the documented ceiling)', async () => {
    const CONTAINERS = 3;
    const PER_CONTAINER = 100;
    const table = await dynamo.newTable();
    const keyring = createLocalKeyring(randomBytes(32));
    // Separate "Lambda containers": own store client caches, single-flight maps, limiters and owners.
    const cores = Array.from({ length: CONTAINERS }, () => createCore({ dynamo, table, keyring }));
    const first = cores[0];
    if (first === undefined) throw new Error('no core');
    await first.putIntegration(
      'fleet',
      { provider: 'custom', client_id: 'client-1', token_url: double.url },
      'fleet-client-secret',
    );
    const keys = Array.from({ length: CONTAINERS * PER_CONTAINER }, (_, i) => ({
      integrationId: 'fleet',
      connectionId: `f-${i}`,
    }));
    const seed = pLimit(32);
    const expiresAt = Date.now() + 2_000;
    await Promise.all(
      keys.map((key) =>
        seed(() => first.importConnection(key, { refreshToken: double.mintFamily(), expiresAt })),
      ),
    );
    double.setMode({ mode: 'slow', delayMs: 20 });
    double.resetRequests();

    await Promise.all(
      cores.map((core, c) => {
        const limiter = new RefreshLimiter({ concurrency: 10, perIntegration: PER_INTEGRATION });
        const deps = { refresh: core.deps, limiter, logger: silentLogger, metrics: nullMetrics };
        return Promise.all(
          keys.slice(c * PER_CONTAINER, (c + 1) * PER_CONTAINER).map((k) =>
            processRefreshRecord(
              deps,
              JSON.stringify({
                v: 1,
                integration_id: k.integrationId,
                connection_id: k.connectionId,
                due_at: Date.now(),
              }),
            ),
          ),
        );
      }),
    );

    expect(double.requests.count).toBe(CONTAINERS * PER_CONTAINER);
    expect(double.requests.maxConcurrent).toBeLessThanOrEqual(CONTAINERS * PER_INTEGRATION);
    // The containers do add up: the cap is per container, which is why the deployment's
    // event-source maximum concurrency is part of the documented ceiling.
    expect(double.requests.maxConcurrent).toBeGreaterThan(PER_INTEGRATION);
  }, 240_000);
});
