import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PortKafkaError } from '../errors.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { createPortClient, type PortClient } from '../port/client.js';
import { assertCredentialsConfigured, createCredentialsLoader } from '../port/credentials.js';
import { resolvePortBaseUrl } from '../port/regions.js';
import { DynamoRunLedger } from '../runs/ledger/dynamodb.js';
import type { RunLedger } from '../runs/ledger/ledger.js';
import { loadSweeperConfig } from './config.js';
import { createSweeper, type SweepReport } from './sweep.js';

/**
 * A pass left runs it could not handle (Port or the ledger failed): thrown so
 * the invocation counts as an error and the stack's alarm on the sweeper's
 * errors fires. The next scheduled pass tries those runs again.
 */
class SweepIncompleteError extends PortKafkaError {
  readonly report: SweepReport;
  constructor(report: SweepReport) {
    super(
      `The sweep could not handle ${report.errors} run(s) or listing(s); the next pass tries again (see the error lines before this one)`
    );
    this.name = 'SweepIncompleteError';
    this.report = report;
  }
}

interface SweeperHandlerDependencies {
  ledger?: RunLedger;
  port?: PortClient;
  logger?: Logger;
  now?: () => number;
}

/**
 * The sweeper's Lambda handler, wired for production from the environment
 * (see sweeper/config.ts): the DynamoDB run ledger (the SDK finds the region,
 * credentials and any AWS_ENDPOINT_URL_DYNAMODB), the Port client with the
 * handler's credentials. Configuration problems fail the cold start.
 */
const createSweeperHandler = (env: NodeJS.ProcessEnv = process.env, deps: SweeperHandlerDependencies = {}) => {
  const config = loadSweeperConfig(env);
  if (deps.port === undefined) assertCredentialsConfigured(env);
  const logger = deps.logger ?? createLogger({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'port-kafka-sweeper' });
  const port =
    deps.port ??
    createPortClient({
      baseUrl: resolvePortBaseUrl({ region: config.region, ...(config.apiUrl ? { baseUrl: config.apiUrl } : {}) }),
      credentials: createCredentialsLoader({ env }),
    });
  const ledger =
    deps.ledger ??
    new DynamoRunLedger({
      tableName: config.runLedgerTable,
      client: new DynamoDBClient({ requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 } }),
    });
  const sweeper = createSweeper({
    ledger,
    port,
    logger,
    actions: config.actions,
    staleRunMaxAgeMs: config.staleRunMaxAgeMs,
    rerunGraceMs: config.rerunGraceMs,
    ...(config.environment === undefined ? {} : { environment: config.environment }),
    ...(deps.now ? { now: deps.now } : {}),
  });
  return async (): Promise<SweepReport> => {
    const report = await sweeper.sweep();
    logger.info('Sweep done', { ...report });
    if (report.errors > 0) throw new SweepIncompleteError(report);
    return report;
  };
};

export type { SweeperHandlerDependencies };
export { createSweeperHandler, SweepIncompleteError };
