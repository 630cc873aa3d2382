import { type DurableLambdaHandler, withDurableExecution } from '@aws/durable-execution-sdk-js';
import { isDurable } from '../actions/define.js';
import type { PortKafkaApp } from '../app.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logging/logger.js';
import { assertCredentialsConfigured } from '../port/credentials.js';
import { MemoryRunLedger } from '../runs/ledger/memory.js';
import { productionDependencies } from '../wiring.js';
import { createDurableRunHandler } from './executor.js';

/** The run executor's Lambda handler: a durable function. */
type DurableExecutorHandler = DurableLambdaHandler;

/** Whether any of the app's actions is durable: the stack creates the run executor only then. */
const hasDurableActions = (app: Pick<PortKafkaApp, 'actions'>): boolean => app.actions.some(isDurable);

/**
 * Builds the run executor's Lambda entry for a team's app: the durable
 * function that executes durable actions' runs, wired like the Kafka handler
 * (configuration from the environment, checked now; Port credentials; the
 * DynamoDB run ledger). The stack's RunExecutor construct bundles it from the
 * package's own entry (durable/entry.ts) with the project's lambda/app.ts, so
 * a template needs no file for it; call it yourself only for a function you
 * deploy some other way.
 *
 * @example
 * ```ts
 * import { createDurableExecutor } from 'port-kafka-lambda';
 * import app from './app.js';
 *
 * export const handler = createDurableExecutor(app);
 * ```
 */
const createDurableExecutor = (app: PortKafkaApp, env: NodeJS.ProcessEnv = process.env): DurableExecutorHandler => {
  const config = loadConfig(env);
  assertCredentialsConfigured(env);
  const logger = createLogger();
  const deps = productionDependencies(app, config, logger);
  return withDurableExecution(
    createDurableRunHandler({
      actions: app.actions,
      port: deps.port,
      credentials: deps.credentials,
      logger,
      ledger: deps.ledger ?? new MemoryRunLedger(),
      functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? 'run-executor',
      executionTimeoutMs: config.durableExecutionTimeoutMs,
    })
  );
};

export type { DurableExecutorHandler };
export { createDurableExecutor, hasDurableActions };
