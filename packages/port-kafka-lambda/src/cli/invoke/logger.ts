import type { LogItem } from '@aws-lambda-powertools/logger';
import { Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import { redactSecrets } from '../../logging/redact.js';

/**
 * The handler's JSON logs go to stderr, so stdout carries only what Port
 * would show (or the --json summary) and stays parseable with --verbose.
 */
class StderrLogger extends Logger {
  protected override createLogger(options?: ConstructorOptions): StderrLogger {
    return new StderrLogger(options);
  }

  protected override printLog(_logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    process.stderr.write(`${JSON.stringify(log.getAttributes(), this.getJsonReplacer())}\n`);
  }
}

/** Silent by default: the human output is what Port would show, not the handler's logs. */
const createInvokeLogger = (verbose: boolean): Logger =>
  new StderrLogger({
    serviceName: 'port-kafka-lambda',
    logLevel: verbose ? 'DEBUG' : 'SILENT',
    jsonReplacerFn: redactSecrets,
  });

export { createInvokeLogger };
