import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { actions } from './actions/index.js';
import { parseCustomRun } from './actions/custom-payloads.js';
import { createHandler } from './app.js';
import { changeHandlers } from './changes/index.js';
import { loadConfig } from './config.js';
import { createLogger } from './logging/logger.js';
import { LogParker } from './parking/log.js';
import { SqsParker } from './parking/sqs.js';
import { createPortClient } from './port/client.js';
import { createCredentialsLoader } from './port/credentials.js';
import { resolvePortBaseUrl } from './port/regions.js';

// Built once per container (cold start); a bad configuration fails here with
// one line per bad variable, before any record is touched.
const config = loadConfig();
const logger = createLogger();
const credentials = createCredentialsLoader({ secretsClient: new SecretsManagerClient({}) });
const port = createPortClient({
  baseUrl: resolvePortBaseUrl({ region: config.region, ...(config.apiUrl ? { baseUrl: config.apiUrl } : {}) }),
  credentials,
});
const parker = config.parkQueueUrl
  ? new SqsParker({ queueUrl: config.parkQueueUrl, client: new SQSClient({}) })
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
