import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB item size in bytes as billing counts it: attribute name lengths plus value sizes
 * (UTF-8 strings, raw binary, numbers ~1 byte per 2 significant digits + 1, maps/lists 3 bytes +
 * 1 per element). The same rules dynalite applies when it reports ConsumedCapacity.
 */
export function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item))
    size += Buffer.byteLength(name, 'utf8') + valueSize(value);
  return size;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((s, x) => s + Buffer.byteLength(x, 'utf8'), 0);
  if (value.NS !== undefined) return value.NS.reduce((s, x) => s + numberSize(x), 0);
  if (value.BS !== undefined) return value.BS.reduce((s, x) => s + x.length, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((s, x) => s + 1 + valueSize(x), 0);
  if (value.M !== undefined) return 3 + Object.keys(value.M).length + itemSize(value.M);
  return 0;
}

function numberSize(n: string): number {
  const digits = n.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  if (digits === '') return 1;
  return 1 + Math.ceil(digits.length / 2) + (n.startsWith('-') ? 1 : 0);
}

/** Write units for one write of an item of `bytes` (1 per started KB, at least 1). */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));
/** Strongly consistent read units for one read of an item of `bytes` (1 per started 4 KB). */
export const readUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 4096));
