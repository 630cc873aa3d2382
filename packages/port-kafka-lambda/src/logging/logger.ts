import { Logger } from '@aws-lambda-powertools/logger';
import { redactSecrets } from './redact.js';

/**
 * The project's structured JSON logger: Powertools Logger with a replacer that
 * masks secret-looking keys. Level and service come from POWERTOOLS_LOG_LEVEL
 * and POWERTOOLS_SERVICE_NAME as usual.
 */
const createLogger = (options: { serviceName?: string; logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT' } = {}): Logger =>
  new Logger({
    serviceName: options.serviceName ?? process.env.POWERTOOLS_SERVICE_NAME ?? 'port-kafka-lambda',
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    jsonReplacerFn: redactSecrets,
  });

export type { Logger };
export { createLogger };
