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
