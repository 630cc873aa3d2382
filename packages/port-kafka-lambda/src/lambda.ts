import type { PortKafkaApp } from './app.js';
import { loadConfig } from './config.js';
import { createHandler } from './handler.js';
import { createLogger } from './logging/logger.js';
import { productionDependencies } from './wiring.js';

/** The function Lambda calls for each batch of either Kafka event source mapping. */
type PortKafkaLambdaHandler = ReturnType<typeof createHandler>;

/**
 * Builds the Lambda entry point for a team's app, wired for production: the
 * configuration from the environment (checked now, so a bad value fails the
 * cold start with one line per variable, never its value), the Port client
 * with credentials from Secrets Manager, and SQS parking when configured.
 *
 * @example
 * ```ts
 * // lambda/handler.ts
 * import { createLambdaHandler } from 'port-kafka-lambda';
 * import app from './app.js';
 *
 * export const handler = createLambdaHandler(app);
 * ```
 */
const createLambdaHandler = (app: PortKafkaApp, env: NodeJS.ProcessEnv = process.env): PortKafkaLambdaHandler => {
  const config = loadConfig(env);
  const logger = createLogger();
  return createHandler(productionDependencies(app, config, logger));
};

export type { PortKafkaLambdaHandler };
export { createLambdaHandler };
