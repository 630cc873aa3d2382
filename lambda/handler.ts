import { actions } from './actions/index.js';
import { parseCustomRun } from './actions/custom-payloads.js';
import { createHandler } from './app.js';
import { changeHandlers } from './changes/index.js';
import { loadConfig } from './config.js';
import { createLogger } from './logging/logger.js';
import { LazyParker } from './parking/lazy.js';
import { LogParker } from './parking/log.js';
import { createPortClient } from './port/client.js';
import { createCredentialsLoader } from './port/credentials.js';
import { resolvePortBaseUrl } from './port/regions.js';

// Built once per container (cold start); a bad configuration fails here with
// one line per bad variable, before any record is touched.
const config = loadConfig();
const logger = createLogger();
const credentials = createCredentialsLoader({});
const port = createPortClient({
  baseUrl: resolvePortBaseUrl({ region: config.region, ...(config.apiUrl ? { baseUrl: config.apiUrl } : {}) }),
  credentials,
});
const queueUrl = config.parkQueueUrl;
const parker = queueUrl
  ? new LazyParker(async () => {
      const [{ SqsParker }, { SQSClient }] = await Promise.all([import('./parking/sqs.js'), import('@aws-sdk/client-sqs')]);
      return new SqsParker({ queueUrl, client: new SQSClient({}) });
    })
  : new LogParker(logger);

/** The Lambda entry point for both Kafka event source mappings. */
export const handler = createHandler({
  config,
  logger,
  port,
  credentials,
  actions,
  changeHandlers,
  parker,
  customRunParser: parseCustomRun,
});
