import type { PortKafkaApp } from './app.js';
import { loadConfig } from './config.js';
import { createHandler } from './handler.js';
import { createLogger } from './logging/logger.js';
import { assertCredentialsConfigured } from './port/credentials.js';
import { createTelemetry, loadTelemetryConfig, type Telemetry } from './telemetry/telemetry.js';
import { productionDependencies } from './wiring.js';

/** The function Lambda calls for each batch of either Kafka event source mapping. */
type PortKafkaLambdaHandler = ReturnType<typeof createHandler>;

/**
 * Builds the Lambda entry point for a team's app, wired for production: the
 * configuration from the environment (checked now, so a bad value fails the
 * cold start with one line per variable, never its value; so do missing Port
 * credentials), the Port client with credentials from Secrets Manager, SQS
 * parking and the DynamoDB run ledger when configured, EMF metrics and, when
 * PORT_KAFKA_TRACING is true, X-Ray tracing. On an on-demand cold start it
 * starts reading the credentials and getting Port's token during init, so the
 * first run does not wait for them.
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
  const deps = productionDependencies(app, config, logger, telemetry);
  if (prefetchesAtInit(env, telemetry)) {
    // Not awaited: the Secrets Manager read and the token request run while the
    // runtime finishes init and hands over the first event. A failure is not
    // kept; the first run's own call tries again and reports it.
    deps.port.warmUp().catch(() => undefined);
  }
  return createHandler(deps);
};

/**
 * Whether init starts reading the credentials and getting Port's token. Only
 * for on-demand cold starts, where the first invocation follows init at once:
 * with provisioned concurrency or SnapStart the environment may be frozen after
 * init, and a request left in flight across the freeze could hold the first
 * run up until its timeout. Not with tracing either: every Port call should
 * show in a trace, and none exists yet during init.
 */
const prefetchesAtInit = (env: NodeJS.ProcessEnv, telemetry: Telemetry): boolean =>
  env.AWS_LAMBDA_INITIALIZATION_TYPE === 'on-demand' && telemetry.tracing === undefined;

export type { PortKafkaLambdaHandler };
export { createLambdaHandler };
