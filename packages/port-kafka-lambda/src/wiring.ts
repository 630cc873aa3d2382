import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { PortKafkaApp } from './app.js';
import type { HandlerConfig } from './config.js';
import { createDurableDispatcher, type DurableRuns } from './durable/dispatch.js';
import { createLambdaLaunch } from './durable/lambda-launch.js';
import type { HandlerDependencies } from './handler.js';
import type { Logger } from './logging/logger.js';
import { LazyParker } from './parking/lazy.js';
import { LogParker } from './parking/log.js';
import { createPortClient } from './port/client.js';
import { createCredentialsLoader } from './port/credentials.js';
import { resolvePortBaseUrl } from './port/regions.js';
import { LazyRunLedger } from './runs/ledger/lazy.js';
import type { RunLedger } from './runs/ledger/ledger.js';
import { MemoryRunLedger } from './runs/ledger/memory.js';
import type { Telemetry } from './telemetry/telemetry.js';

/** DynamoDB calls sit on every run's path: fail fast and let the batch retry rather than hang. */
const LEDGER_CONNECT_TIMEOUT_MS = 1_000;
const LEDGER_REQUEST_TIMEOUT_MS = 3_000;

/**
 * The run ledger: DynamoDB when RUN_LEDGER_TABLE is set (the SDK finds the
 * region, credentials and any AWS_ENDPOINT_URL_DYNAMODB in the environment),
 * else this process's memory.
 */
const runLedger = (config: HandlerConfig, telemetry?: Telemetry): RunLedger => {
  const tableName = config.runLedgerTable;
  if (tableName === undefined) return new MemoryRunLedger();
  return new LazyRunLedger(async () => {
    // Loaded on first use, like the SQS parker: a cold start that executes no run does not pay for it.
    const [{ DynamoRunLedger }, { DynamoDBClient }] = await Promise.all([
      import('./runs/ledger/dynamodb.js'),
      import('@aws-sdk/client-dynamodb'),
    ]);
    const client = new DynamoDBClient({
      requestHandler: { connectionTimeout: LEDGER_CONNECT_TIMEOUT_MS, requestTimeout: LEDGER_REQUEST_TIMEOUT_MS },
    });
    telemetry?.tracing?.captureAWSv3Client(client);
    return new DynamoRunLedger({ tableName, client });
  });
};

/**
 * Durable runs: the Lambda dispatcher when DURABLE_EXECUTOR_FUNCTION names the
 * run executor (the Lambda client is loaded on the first durable run, and finds
 * its region, credentials and any AWS_ENDPOINT_URL_LAMBDA in the environment).
 */
const durableRuns = (config: HandlerConfig): DurableRuns | undefined => {
  const functionName = config.durableExecutorFunction;
  if (functionName === undefined) return undefined;
  let client: Promise<LambdaClient> | undefined;
  const launch = createLambdaLaunch({
    functionName,
    client: () =>
      (client ??= import('@aws-sdk/client-lambda').then(
        ({ LambdaClient }) =>
          new LambdaClient({ requestHandler: { connectionTimeout: LEDGER_CONNECT_TIMEOUT_MS, requestTimeout: LEDGER_REQUEST_TIMEOUT_MS } })
      )),
  });
  return (shared) => createDurableDispatcher({ ...shared, launch, executionTimeoutMs: config.durableExecutionTimeoutMs });
};

/**
 * The production dependencies of the handler: the team's app (actions,
 * change handlers, custom parser), the Port client with credentials from Secrets Manager (or
 * PORT_CLIENT_ID/PORT_CLIENT_SECRET), SQS parking when PARK_QUEUE_URL is
 * set, and the DynamoDB run ledger when RUN_LEDGER_TABLE is set. Shared by the Lambda entry and the long-lived consumer, so both run
 * exactly the same code.
 */
const productionDependencies = (
  app: PortKafkaApp,
  config: HandlerConfig,
  logger: Logger,
  /** Metrics and tracing (the Lambda entry builds them from the environment); absent, none. */
  telemetry?: Telemetry
): HandlerDependencies => {
  const credentials = createCredentialsLoader({});
  const onRetry = telemetry?.metrics?.portRetry;
  const port = createPortClient({
    baseUrl: resolvePortBaseUrl({ region: config.region, ...(config.apiUrl ? { baseUrl: config.apiUrl } : {}) }),
    credentials,
    ...(onRetry === undefined ? {} : { onRetry }),
  });
  const durable = durableRuns(config);
  const queueUrl = config.parkQueueUrl;
  const parker = queueUrl
    ? new LazyParker(async () => {
        // Loaded on first use: the SQS client costs cold-start time most invocations never need.
        const [{ SqsParker }, { SQSClient }] = await Promise.all([import('./parking/sqs.js'), import('@aws-sdk/client-sqs')]);
        const client = new SQSClient({});
        telemetry?.tracing?.captureAWSv3Client(client);
        return new SqsParker({ queueUrl, client });
      })
    : new LogParker(logger);
  return {
    config,
    logger,
    port,
    credentials,
    actions: app.actions,
    changeHandlers: app.changeHandlers ?? [],
    parker,
    ledger: runLedger(config, telemetry),
    ...(durable === undefined ? {} : { durable }),
    ...(telemetry === undefined ? {} : { telemetry }),
    ...(app.customRunParser ? { customRunParser: app.customRunParser } : {}),
  };
};

export { durableRuns, productionDependencies, runLedger };
