import type { PortKafkaApp } from './app.js';
import { loadConfig } from './config.js';
import { createHandler } from './handler.js';
import { createLogger } from './logging/logger.js';
import { assertCredentialsConfigured } from './port/credentials.js';
import { createTelemetry, loadTelemetryConfig } from './telemetry/telemetry.js';
import { productionDependencies } from './wiring.js';

/** The function Lambda calls for each batch of either Kafka event source mapping. */
type PortKafkaLambdaHandler = ReturnType<typeof createHandler>;

/**
 * Builds the Lambda entry point for a team's app, wired for production: the
 * configuration from the environment (checked now, so a bad value fails the
 * cold start with one line per variable, never its value; so do missing Port
 * credentials), the Port client with credentials from Secrets Manager, SQS
 * parking and the DynamoDB run ledger when configured, EMF metrics and, when
 * PORT_KAFKA_TRACING is true, X-Ray tracing.
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
  // Without credentials no run could be reported: fail the cold start, not every run.
  assertCredentialsConfigured(env);
  // EMF metrics by default inside Lambda; X-Ray tracing when the stack turned it on.
  const telemetry = createTelemetry(loadTelemetryConfig(env));
  const logger = createLogger();
  return createHandler(productionDependencies(app, config, logger, telemetry));
};

export type { PortKafkaLambdaHandler };
export { createLambdaHandler };
