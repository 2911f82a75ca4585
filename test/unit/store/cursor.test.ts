import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openCursor, sealCursor } from '../../../shared/adapters/aws/dynamodb/cursor';
import { createLocalKeyring } from '../../../shared/adapters/local/keyring';

const keyring = createLocalKeyring(randomBytes(32));
const position = { pk: 'S#a-connect-session-state', sk: 'S' };

describe('listing cursors', () => {
  it('reveal nothing of the table key they stand for', async () => {
    const cursor = await sealCursor(keyring, position, undefined);
    const bytes = Buffer.from(cursor, 'base64url').toString('latin1');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(bytes).not.toContain('S#');
    expect(bytes).not.toContain('a-connect-session-state');
    expect(cursor).not.toContain(Buffer.from('a-connect-session-state').toString('base64url').slice(0, 12));
  });

  it('read back to the position, for the listing they were made for', async () => {
    const all = await sealCursor(keyring, position, undefined);
    const filtered = await sealCursor(keyring, position, 'crm');
    expect(await openCursor(keyring, all, undefined)).toEqual(position);
    expect(await openCursor(keyring, filtered, 'crm')).toEqual(position);
  });

  it('are refused by another listing, when tampered with, or when not ours', async () => {
    const filtered = await sealCursor(keyring, position, 'crm');
    const bytes = Buffer.from(filtered, 'base64url');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    const refusals = [
      openCursor(keyring, filtered, 'billing'),
      openCursor(keyring, filtered, undefined),
      openCursor(keyring, bytes.toString('base64url'), 'crm'),
      openCursor(keyring, Buffer.from('{"pk":"KEYS","sk":"x"}').toString('base64url'), undefined),
      openCursor(keyring, 'not!base64', undefined),
      openCursor(createLocalKeyring(randomBytes(32)), filtered, 'crm'),
    ];
    for (const refusal of refusals) {
      await expect(refusal).rejects.toMatchObject({ code: 'invalid_cursor' });
    }
  });
});
