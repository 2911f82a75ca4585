import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * Builds DynamoDB expressions with every attribute name aliased (`#n0`, ...), so reserved words
 * (`status`, `scope`, `data`, hundreds more) can never break a query.
 */
export class ExpressionBuilder {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};
  private readonly nameAliases = new Map<string, string>();
  private valueCount = 0;

  name(attribute: string): string {
    let alias = this.nameAliases.get(attribute);
    if (alias === undefined) {
      alias = `#n${this.nameAliases.size}`;
      this.nameAliases.set(attribute, alias);
      this.names[alias] = attribute;
    }
    return alias;
  }

  value(v: AttributeValue): string {
    const alias = `:v${this.valueCount++}`;
    this.values[alias] = v;
    return alias;
  }

  /** Names and values for a command, omitting empty maps (DynamoDB rejects them). */
  attributes(): {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, AttributeValue>;
  } {
    return {
      ...(Object.keys(this.names).length > 0 ? { ExpressionAttributeNames: this.names } : {}),
      ...(Object.keys(this.values).length > 0 ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

export const n = (value: number): AttributeValue => ({ N: String(value) });
export const s = (value: string): AttributeValue => ({ S: value });
export const b = (value: Uint8Array): AttributeValue => ({ B: value });

/**
 * The members of a JSON object (a request's `metadata`, an integration's configuration) as a
 * DynamoDB map. Unlike util-dynamodb's `marshall`, which tells plain objects from class instances
 * by their `constructor`, it never looks at one: `{"constructor": 1}` is valid JSON and a map like
 * any other (marshall throws on it, or turns `{"constructor": {"name": "String"}}` into a string).
 * `undefined` members are left out.
 * @throws Error for a value JSON cannot hold (a non-finite number, a function, ...); never for JSON.
 */
export function jsonMap(object: Readonly<Record<string, unknown>>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(object)) if (value !== undefined) out[key] = jsonAttr(value);
  return out;
}

function jsonAttr(value: unknown): AttributeValue {
  if (value === null) return { NULL: true };
  switch (typeof value) {
    case 'string':
      return s(value);
    case 'boolean':
      return { BOOL: value };
    case 'number':
      if (!Number.isFinite(value)) throw new Error('a non-finite number cannot be stored');
      return n(value);
    case 'object':
      return Array.isArray(value)
        ? { L: value.filter((v) => v !== undefined).map(jsonAttr) }
        : { M: jsonMap(value as Record<string, unknown>) };
    default:
      throw new Error(`a ${typeof value} cannot be stored as JSON`);
  }
}
