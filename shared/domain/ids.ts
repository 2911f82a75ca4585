import * as z from 'zod';

/** api.md: IDs match this pattern. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
export const idSchema = z.string().regex(ID_PATTERN, 'must match ^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$');

export interface ConnectionKey {
  readonly integrationId: string;
  readonly connectionId: string;
}

export function connectionKeyString(key: ConnectionKey): string {
  return `${key.integrationId}/${key.connectionId}`;
}
