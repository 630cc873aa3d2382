/**
 * One "container" of the chaos test: the real handler, built like production
 * (productionDependencies: the DynamoDB ledger from RUN_LEDGER_TABLE through
 * AWS_ENDPOINT_URL_DYNAMODB, the Port client from PORT_API_URL and
 * PORT_CLIENT_ID/PORT_CLIENT_SECRET), taking batches over the IPC channel and
 * answering each with the handler's response. The parent SIGKILLs it at random
 * points. Two deviations from production, both about time: the Port client's
 * backoff is milliseconds instead of hundreds of them, and a claim lapses
 * CHAOS_CLAIM_GRACE_MS after the run's deadline instead of 10 s, so the test
 * does not spend its minutes waiting.
 */
import type { Context } from 'aws-lambda';
import type { BatchReport } from '../../src/batch/outcome.js';
import { loadConfig } from '../../src/config.js';
import { createHandler } from '../../src/handler.js';
import { createLogger } from '../../src/logging/logger.js';
import { createPortClient } from '../../src/port/client.js';
import { resolvePortBaseUrl } from '../../src/port/regions.js';
import type { LambdaKafkaRecord } from '../../src/testing/factories.js';
import { kafkaEvent } from '../../src/testing/factories.js';
import { productionDependencies } from '../../src/wiring.js';
import { chaosApp } from './app.js';

interface BatchMessage {
  id: number;
  records: LambdaKafkaRecord[];
  /** What the invocation's context says is left before its deadline. */
  remainingMs: number;
}

const env = process.env;
const config = loadConfig(env);
const logger = createLogger({ serviceName: 'chaos-container' });
const deps = productionDependencies(chaosApp(env.CHAOS_EXECUTIONS_FILE ?? ''), config, logger);
const port = createPortClient({
  baseUrl: resolvePortBaseUrl({ region: config.region, ...(config.apiUrl ? { baseUrl: config.apiUrl } : {}) }),
  credentials: deps.credentials,
  retry: { retries: 5, baseDelayMs: 2, maxDelayMs: 20 },
});
let report: BatchReport | undefined;
const handler = createHandler({
  ...deps,
  port,
  functionName: `chaos-${process.pid}`,
  claimGraceMs: Number(env.CHAOS_CLAIM_GRACE_MS ?? 500),
  onReport: (r) => {
    report = r;
  },
});

const context = (remainingMs: number): Context => {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'chaos',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:chaos',
    memoryLimitInMB: '512',
    awsRequestId: `chaos-${process.pid}`,
    logGroupName: '/aws/lambda/chaos',
    logStreamName: 'chaos',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

process.on('message', (message: BatchMessage) => {
  report = undefined;
  handler(kafkaEvent(message.records), context(message.remainingMs)).then(
    (response) => process.send?.({ id: message.id, response, outcomes: report?.outcomes ?? [] }),
    (error: unknown) =>
      process.send?.({
        id: message.id,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        outcomes: report?.outcomes ?? [],
      })
  );
});
process.send?.({ ready: true });
