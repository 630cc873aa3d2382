/**
 * `npm run consume`: reads Port's topics directly and runs the same handler as
 * the Lambda function, for development against a real org and for teams that
 * run a container. Configuration comes from the environment (docs/configuration.md).
 *
 * Exit codes: 0 stopped by SIGINT/SIGTERM after finishing its batch; 1 Kafka
 * failed (credentials, group or topic not allowed, brokers unreachable, or the
 * connection was lost); 2 bad configuration; 130 a second signal forced it.
 */
import { existsSync } from 'node:fs';
import type { PortKafkaApp } from '../app.js';
import { loadConfig } from '../config.js';
import { loadConsumerConfig } from '../consumer/config.js';
import { startConsumer } from '../consumer/consumer.js';
import { hasDurableActions } from '../durable/lambda.js';
import { createLocalDurableRuns } from '../durable/local.js';
import { PortKafkaError } from '../errors.js';
import { createHandler } from '../handler.js';
import { createLogger } from '../logging/logger.js';
import { CredentialsEnv } from '../port/credentials.js';
import { productionDependencies } from '../wiring.js';

const USAGE = `Usage: npm run consume [-- --env-file <path>]

Reads <PORT_ORG_ID>.runs (and .change.log with KAFKA_CONSUME_CHANGE_LOG=true)
and runs the Lambda handler on each batch. Required environment:
  PORT_ORG_ID, KAFKA_USERNAME, KAFKA_PASSWORD, KAFKA_CONSUMER_GROUP,
  PORT_CLIENT_ID + PORT_CLIENT_SECRET (or PORT_CREDENTIALS_SECRET_ARN)
Optional: PORT_REGION (eu|us), KAFKA_BROKERS, KAFKA_CA_FILE, KAFKA_BATCH_SIZE,
  KAFKA_BATCH_WINDOW_MS, KAFKA_STARTING_POSITION, BATCH_TIMEOUT_SECONDS,
  CONSUMER_NAME, PORT_API_URL, RUN_LEDGER_TABLE (DynamoDB run ledger shared
  with other consumers and the Lambda; unset, runs are claimed in this process
  only) and the handler's other settings.
Durable actions run in this process beside later records (unless
DURABLE_EXECUTOR_FUNCTION hands them to a Lambda run executor):
  DURABLE_DRAIN_SECONDS (default 25) on SIGTERM, how long to wait for them;
  those still running then follow their onInterrupted policy.
  DURABLE_WAIT_SCALE (0-1) shortens their waits, for development.`;

const fail = (code: number, message: string): never => {
  process.stderr.write(`${message}\n`);
  process.exit(code);
};

/**
 * Runs the long-lived consumer for a team's app until a signal stops it.
 *
 * @example
 * ```ts
 * import { runConsumer } from 'port-kafka-lambda/consumer';
 * import app from './lambda/app.js';
 *
 * await runConsumer(app, process.argv.slice(2));
 * ```
 */
const runConsumer = async (app: PortKafkaApp, argv: readonly string[]): Promise<void> => {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const envFileAt = argv.indexOf('--env-file');
  if (envFileAt !== -1) {
    const path = argv[envFileAt + 1];
    if (path === undefined || !existsSync(path)) fail(2, `--env-file: ${path ?? '(missing)'} does not exist`);
    else process.loadEnvFile(path);
  } else if (argv.length > 0) {
    fail(2, `Unknown argument ${argv[0] ?? ''}\n${USAGE}`);
  }

  let consumerConfig;
  let handlerConfig;
  try {
    consumerConfig = loadConsumerConfig();
    // The consumer understands partial batch responses, so it always asks for them:
    // a retry then re-runs only the records from the first unfinished one on.
    handlerConfig = loadConfig({ ...process.env, PORT_ORG_ID: consumerConfig.orgId, REPORT_BATCH_ITEM_FAILURES: 'true' });
  } catch (error) {
    return fail(2, error instanceof Error ? error.message : String(error));
  }
  const env = process.env;
  if (!env[CredentialsEnv.SECRET_ARN] && !(env[CredentialsEnv.CLIENT_ID] && env[CredentialsEnv.CLIENT_SECRET])) {
    fail(2, 'Invalid consumer configuration:\nPORT_CLIENT_ID: is required with PORT_CLIENT_SECRET (or set PORT_CREDENTIALS_SECRET_ARN)');
  }

  const logger = createLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'port-kafka-consumer' });
  const deps = productionDependencies(app, handlerConfig, logger);
  // Durable actions run here, in the background, unless a Lambda run executor is configured.
  const local =
    hasDurableActions(app) && handlerConfig.durableExecutorFunction === undefined
      ? createLocalDurableRuns({
          actions: app.actions,
          credentials: deps.credentials,
          functionName: consumerConfig.name,
          mode: 'background',
          executionTimeoutMs: handlerConfig.durableExecutionTimeoutMs,
          sharedLedger: handlerConfig.runLedgerTable !== undefined,
          ...(consumerConfig.durableWaitScale === undefined ? {} : { waitScale: consumerConfig.durableWaitScale }),
        })
      : undefined;
  const handler = createHandler({ ...deps, ...(local ? { durable: local.durable } : {}), functionName: consumerConfig.name });
  const { durableDrainMs } = consumerConfig;

  /** After the last batch: durable runs in flight get DURABLE_DRAIN_SECONDS, then their policy. */
  const settleDurableRuns = async (): Promise<void> => {
    if (!local) return;
    if (local.inFlight().length > 0) {
      logger.info('Waiting for durable runs in progress', { runs: local.inFlight().length, drainSeconds: durableDrainMs / 1000 });
    }
    const left = await local.drain(durableDrainMs);
    await local.interrupt(left);
    await local.close();
  };

  let consumer;
  try {
    consumer = await startConsumer({ config: consumerConfig, handler, logger });
  } catch (error) {
    return fail(1, error instanceof Error ? error.message : String(error));
  }

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      // Whatever was not committed is delivered again; runs that ended are not re-executed.
      process.stderr.write(`${signal} again: exiting without waiting for the batch in hand\n`);
      process.exit(130);
    }
    logger.info('Stopping: finishing the batch in hand', { signal });
    void consumer
      .stop()
      .then(settleDurableRuns)
      .then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await consumer.done;
    if (signals === 0) fail(1, 'Kafka consumer stopped: the stream ended');
  } catch (error) {
    fail(1, error instanceof PortKafkaError ? error.message : `Kafka consumer failed: ${String(error)}`);
  }
};

export { runConsumer };
