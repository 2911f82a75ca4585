import { describe, expect, it } from 'vitest';
import { credentialsOf } from '../../../shared/api/import-body';
import { connectionInputSchema } from '../../../shared/api/schemas/connections';
import {
  connectionBatchInputSchema,
  connectionBatchItemSchema,
} from '../../../shared/api/schemas/connections-batch';

const NOW = Date.parse('2026-11-25T12:00:00Z');

describe('batch import items', () => {
  it('maps every field of the single import body (a new field must be mapped here too)', () => {
    // The batch route takes each item through the same use case as PUT .../connections/{id}: a field
    // added to the import body and not mapped by credentialsOf would be accepted and then ignored.
    const mapped = new Set([
      'access_token',
      'authorized_at',
      'expires_at',
      'expires_in',
      'metadata',
      'raw',
      'refresh_token',
      'scope',
      'token_type',
    ]);
    expect(Object.keys(connectionInputSchema.shape).filter((field) => !mapped.has(field))).toEqual([]);
    expect(
      credentialsOf(
        {
          access_token: 'at',
          refresh_token: 'rt',
          expires_in: 60,
          token_type: 'Bearer',
          scope: 'a b',
          raw: { x: 1 },
          metadata: { m: true },
        },
        NOW,
      ),
    ).toEqual({
      accessToken: 'at',
      refreshToken: 'rt',
      expiresAt: NOW + 60_000,
      tokenType: 'Bearer',
      scope: 'a b',
      raw: { x: 1 },
      metadata: { m: true },
    });
  });

  it('keeps the single import’s refresh token rules: absent keeps a stored one, null drops it', () => {
    expect(credentialsOf({ access_token: 'at' }, NOW)).not.toHaveProperty('refreshToken');
    expect(credentialsOf({ access_token: 'at', refresh_token: null }, NOW).refreshToken).toBeNull();
    expect(credentialsOf({ access_token: 'at', expires_at: '2026-11-25T13:00:00Z' }, NOW).expiresAt).toBe(
      NOW + 3_600_000,
    );
  });

  it('validates an item as the single import plus connection_id; the envelope takes 1 to 100 objects', () => {
    expect(connectionBatchItemSchema.safeParse({ connection_id: 'u-1', access_token: 'at' }).success).toBe(
      true,
    );
    expect(connectionBatchItemSchema.safeParse({ access_token: 'at' }).success).toBe(false);
    expect(
      connectionBatchItemSchema.safeParse({
        connection_id: 'u-1',
        access_token: 'at',
        expires_in: 1,
        expires_at: '2026-11-25T13:00:00Z',
      }).success,
    ).toBe(false);
    const items = (n: number) => Array.from({ length: n }, () => ({ connection_id: 'x' }));
    expect(connectionBatchInputSchema.safeParse({ items: items(100) }).success).toBe(true);
    expect(connectionBatchInputSchema.safeParse({ items: items(101) }).success).toBe(false);
    expect(connectionBatchInputSchema.safeParse({ items: [] }).success).toBe(false);
    expect(connectionBatchInputSchema.safeParse({ items: [1] }).success).toBe(false);
  });
});
