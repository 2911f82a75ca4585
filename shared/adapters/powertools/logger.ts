import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Logger } from '../../ports/logger';

/**
 * The service's structured JSON logger (Powertools for AWS Lambda, also used locally). Callers pass
 * identifiers and classifications only; tokens, secrets and keys are never handed to it.
 */
export function createLogger(options: { serviceName?: string; level?: string } = {}): Logger & {
  readonly powertools: PowertoolsLogger;
} {
  const level = (options.level ?? 'INFO').toUpperCase() as 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  const pt = new PowertoolsLogger({ serviceName: options.serviceName ?? 'oauth-refresher', logLevel: level });
  return {
    powertools: pt,
    debug: (message, fields) => (fields === undefined ? pt.debug(message) : pt.debug(message, fields)),
    info: (message, fields) => (fields === undefined ? pt.info(message) : pt.info(message, fields)),
    warn: (message, fields) => (fields === undefined ? pt.warn(message) : pt.warn(message, fields)),
    error: (message, fields) => (fields === undefined ? pt.error(message) : pt.error(message, fields)),
  };
}
