import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Logger } from './ports/logger';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

/**
 * The service's structured JSON logger (Powertools for AWS Lambda, also used locally). Callers pass
 * identifiers and classifications only; tokens, secrets and keys are never handed to it.
 */
export function createLogger(options: { serviceName?: string; level?: string } = {}): Logger {
  const level = (options.level ?? 'INFO').toUpperCase() as LogLevel;
  return new PowertoolsLogger({
    serviceName: options.serviceName ?? 'oauth-refresher',
    logLevel: level,
  });
}
