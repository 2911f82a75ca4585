import { readFile, writeFile } from 'node:fs/promises';
import { convertNangoConnection, readNangoExport } from '../../shared/migrate/nango';

export interface FromNangoOptions {
  readonly exportFile: string;
  readonly out: string;
  /** `provider_config_key` → `integration_id`. */
  readonly integrations: ReadonlyMap<string, string>;
  readonly allowMissingRefreshToken: boolean;
}

export interface FromNangoSummary {
  readonly converted: number;
  /** Each refused record, without credentials. */
  readonly rejected: ReadonlyArray<{
    readonly index: number;
    readonly connection_id: string | null;
    readonly provider_config_key: string | null;
    readonly reason: string;
  }>;
}

/**
 * Converts a Nango export into an NDJSON file for `ops import` (mode 0600: it holds tokens).
 * @throws NangoExportError `invalid_export` when the file is not an export.
 */
export async function fromNango(options: FromNangoOptions): Promise<FromNangoSummary> {
  const records = readNangoExport(await readFile(options.exportFile, 'utf8'));
  const lines: string[] = [];
  const rejected: Array<FromNangoSummary['rejected'][number]> = [];
  records.forEach((record, index) => {
    const result = convertNangoConnection(record, {
      integrations: options.integrations,
      allowMissingRefreshToken: options.allowMissingRefreshToken,
    });
    if (result.ok) lines.push(`${JSON.stringify(result.line)}\n`);
    else
      rejected.push({
        index: index + 1,
        connection_id: result.connectionId,
        provider_config_key: result.providerConfigKey,
        reason: result.reason,
      });
  });
  await writeFile(options.out, lines.join(''), { mode: 0o600 });
  return { converted: lines.length, rejected };
}
