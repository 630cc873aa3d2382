import type { PortKafkaApp } from './app.js';
import type { HandlerDependencies } from './handler.js';
import type { HandlerConfig } from './config.js';
import type { Logger } from './logging/logger.js';
import { LazyParker } from './parking/lazy.js';
import { LogParker } from './parking/log.js';
import { createPortClient } from './port/client.js';
import { createCredentialsLoader } from './port/credentials.js';
import { resolvePortBaseUrl } from './port/regions.js';

/**
 * The production dependencies of the handler: the team's app (actions,
 * change handlers, custom parser), the Port client with credentials from Secrets Manager (or
 * PORT_CLIENT_ID/PORT_CLIENT_SECRET), and SQS parking when PARK_QUEUE_URL is
 * set. Shared by the Lambda entry and the long-lived consumer, so both run
 * exactly the same code.
 */
const productionDependencies = (app: PortKafkaApp, config: HandlerConfig, logger: Logger): HandlerDependencies => {
  const credentials = createCredentialsLoader({});
  const port = createPortClient({
    baseUrl: resolvePortBaseUrl({ region: config.region, ...(config.apiUrl ? { baseUrl: config.apiUrl } : {}) }),
    credentials,
  });
  const queueUrl = config.parkQueueUrl;
  const parker = queueUrl
    ? new LazyParker(async () => {
        // Loaded on first use: the SQS client costs cold-start time most invocations never need.
        const [{ SqsParker }, { SQSClient }] = await Promise.all([import('./parking/sqs.js'), import('@aws-sdk/client-sqs')]);
        return new SqsParker({ queueUrl, client: new SQSClient({}) });
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
    ...(app.customRunParser ? { customRunParser: app.customRunParser } : {}),
  };
};

export { productionDependencies };
