import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../../shared/api/openapi';
import { routes } from '../../../shared/api/routes';

/** api.md v1.1 lifecycle, history and health in the generated OpenAPI document. */
describe('OpenAPI: grant lifecycle, history and health', () => {
  const doc = buildOpenApiDocument(routes, { version: '1.0.0' });
  const schema = (name: string) => doc.components.schemas[name] as { properties?: Record<string, unknown> };

  it('documents the history and health routes with their scopes', () => {
    const history = doc.paths['/v1/integrations/{integration_id}/connections/{connection_id}/history']?.get;
    const health = doc.paths['/v1/integrations/{integration_id}/health']?.get;
    expect(history?.['x-required-scope']).toBe('tokens:read');
    expect(health?.['x-required-scope']).toBe('admin');
    const params = ((history?.parameters ?? []) as Array<{ name: string }>).map((p) => p.name);
    expect(params).toEqual(expect.arrayContaining(['limit', 'cursor']));
    expect(Object.keys(schema('HistoryItem').properties ?? {})).toEqual(
      expect.arrayContaining(['at', 'kind', 'trigger', 'outcome', 'error', 'duration_ms', 'from', 'to']),
    );
    expect(Object.keys(schema('IntegrationHealth').properties ?? {})).toEqual(
      expect.arrayContaining([
        'connections',
        'failures_24h',
        'next_refresh_at',
        'refresh_latency_ms',
        'reauth_due_within_lead',
      ]),
    );
  });

  it('documents the grant clocks, authorized_at and the reauth_due_before filter', () => {
    expect(Object.keys(schema('Connection').properties ?? {})).toEqual(
      expect.arrayContaining(['refresh_token_expires_at', 'reauth_due_at']),
    );
    expect(Object.keys(schema('ConnectionInput').properties ?? {})).toContain('authorized_at');
    const list = (doc.paths['/v1/connections']?.get?.parameters ?? []) as Array<{ name: string }>;
    expect(list.map((p) => p.name)).toContain('reauth_due_before');
    const refresh = JSON.stringify(doc.components.schemas);
    for (const field of ['refresh_token_idle_seconds', 'grant_lifetime_seconds', 'reauth_lead_seconds'])
      expect(refresh).toContain(field);
  });
});
