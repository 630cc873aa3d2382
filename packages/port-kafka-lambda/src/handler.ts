import type { KeyObject } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ActionDefinition } from './actions/define.js';
import { createActionRegistry } from './actions/registry.js';
import type { BatchReport } from './batch/outcome.js';
import { createBatchProcessor } from './batch/process.js';
import type { ChangeHandlerDefinition } from './changes/define.js';
import type { HandlerConfig } from './config.js';
import { type DurableRuns, unconfiguredDurableRuns } from './durable/dispatch.js';
import { PortKafkaError } from './errors.js';
import { KAFKA_EVENT_SOURCES, type KafkaBatchResponse, KafkaEvent } from './kafka/event.js';
import type { CustomRunParser } from './messages/normalize.js';
import { lambdaContextLogging } from './middleware/lambda-context.js';
import { logErrors } from './middleware/log-errors.js';
import type { Parker } from './parking/parker.js';
import type { PortClient } from './port/client.js';
import type { PortCredentials } from './port/credentials.js';
import { createRouter } from './routing/route.js';
import { deadlineOf } from './runs/deadline.js';
import { createRunExecutor, type RunExecutor } from './runs/execute.js';
import type { RunLedger } from './runs/ledger/ledger.js';
import { MemoryRunLedger } from './runs/ledger/memory.js';
import { MeteredRunLedger, meterChangeHandlers, meterParker, meterRuns } from './telemetry/instrument.js';
import { metricsMiddleware } from './telemetry/middleware.js';
import type { Telemetry } from './telemetry/telemetry.js';
import { tracePortClient } from './telemetry/tracing.js';
import { describeIssues } from './validation.js';

/** The invocation is not a Lambda Kafka event at all (a misconfigured trigger or a hand-made test event). */
class InvalidEventError extends PortKafkaError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidEventError';
  }
}

/**
 * Thrown when records need a retry and partial batch responses are off:
 * Lambda then redelivers the batch. Runs that already ended are not executed
 * again (the lifecycle checks their status in Port first).
 */
class BatchRetryError extends PortKafkaError {
  readonly report: BatchReport;
  constructor(report: BatchReport) {
    super(`${report.counts.retry} record(s) hit a transient failure (Port unreachable or deadline); the batch will be retried`);
    this.name = 'BatchRetryError';
    this.report = report;
  }
}

const KAFKA_SOURCES = new Set<string>(KAFKA_EVENT_SOURCES);

/**
 * Checks the event by hand on the hot path (an object of arrays under a known
 * eventSource) and only runs the schema to explain what is wrong.
 */
const readKafkaEvent = (event: unknown): KafkaEvent => {
  const e = event as Partial<KafkaEvent> | null;
  if (
    typeof e === 'object' &&
    e !== null &&
    KAFKA_SOURCES.has(e.eventSource as string) &&
    typeof e.records === 'object' &&
    e.records !== null &&
    Object.values(e.records).every(Array.isArray)
  ) {
    return e as KafkaEvent;
  }
  const parsed = KafkaEvent.safeParse(event);
  if (parsed.success) return parsed.data;
  throw new InvalidEventError(`Not a Lambda Kafka event: ${describeIssues(parsed.error)}`, { cause: parsed.error });
};

interface HandlerDependencies {
  config: HandlerConfig;
  logger: Logger;
  port: PortClient;
  credentials: () => Promise<PortCredentials>;
  actions: readonly ActionDefinition[];
  changeHandlers: readonly ChangeHandlerDefinition[];
  parker: Parker;
  customRunParser?: CustomRunParser;
  /** Shown in the run log line that says who picked the run up. */
  functionName?: string;
  /**
   * Claims and final reports of runs (see runs/ledger). Production passes the
   * DynamoDB ledger when RUN_LEDGER_TABLE is set; the default keeps them in this
   * handler's memory, which is enough for one process (local invoke, tests).
   */
  ledger?: RunLedger;
  /** Clock of the run lifecycle (ms since epoch); tests move it to let claims lapse. */
  now?: () => number;
  /** How long past a run's deadline its claim lapses (default 10 s); the chaos test shortens it. */
  claimGraceMs?: number;
  /** RSA private key of client-side encrypted secret inputs; default from PORT_SECRET_INPUTS_PRIVATE_KEY(_ARN). */
  secretInputsKey?: () => Promise<KeyObject>;
  /** Replaces the Port run lifecycle (benchmarks measure routing alone with it). */
  runs?: RunExecutor;
  /** Sees every batch's report: local invoke and tests print or assert on it. */
  onReport?: (report: BatchReport) => void;
  /**
   * Metrics (EMF, written once per invocation) and X-Ray tracing; production
   * builds them from the environment (telemetry/telemetry.ts). Absent, nothing
   * is counted or traced.
   */
  telemetry?: Telemetry;
  /**
   * Where runs of durable actions go: production passes the Lambda dispatcher
   * when DURABLE_EXECUTOR_FUNCTION is set; local invoke, the consumer and the
   * harness run them in-process. Default: such runs end FAILURE saying the
   * deployment has no run executor.
   */
  durable?: DurableRuns;
}

/**
 * Builds the Middy-wrapped Lambda handler from its dependencies. The
 * production entry (`handler.ts`) passes real clients; tests and the local
 * invoke command pass the same kinds of objects pointed at loopback servers.
 */
const createHandler = (deps: HandlerDependencies) => {
  const { config, logger } = deps;
  const functionName = deps.functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'port-kafka-lambda';
  const { metrics, tracing } = deps.telemetry ?? {};
  // With tracing, every Port call (the lifecycle's and the handlers') is a subsegment.
  const port = tracing === undefined ? deps.port : tracePortClient(deps.port, tracing);
  const ledger = deps.ledger ?? new MemoryRunLedger(deps.now ? { now: deps.now } : {});
  const executor =
    deps.runs ??
    createRunExecutor({
      port,
      ...(deps.secretInputsKey ? { secretInputsKey: deps.secretInputsKey } : {}),
      credentials: deps.credentials,
      logger,
      functionName,
      startMinRemainingMs: config.runStartMinRemainingMs,
      deadlineMarginMs: config.runDeadlineMarginMs,
      ledger: metrics === undefined ? ledger : new MeteredRunLedger(ledger, metrics),
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.claimGraceMs === undefined ? {} : { claimGraceMs: deps.claimGraceMs }),
    });
  const actions = createActionRegistry(deps.actions);
  metrics?.resolveActionsWith((name) => actions.resolve(name, null)?.identifier);
  const route = createRouter({
    actions,
    changeHandlers: metrics === undefined ? deps.changeHandlers : meterChangeHandlers(deps.changeHandlers, metrics),
    runs: metrics === undefined ? executor : meterRuns(executor, metrics),
    durable: (deps.durable ?? unconfiguredDurableRuns)({ ledger, port, logger }),
    port,
    logger,
    unknownAction: config.unknownAction,
    deadlineMarginMs: config.runDeadlineMarginMs,
    ...(config.orgId ? { orgId: config.orgId } : {}),
    ...(config.backendEnvironment ? { environment: config.backendEnvironment } : {}),
    ...(deps.customRunParser ? { customRunParser: deps.customRunParser } : {}),
  });
  const processBatch = createBatchProcessor({
    route,
    parker: metrics === undefined ? deps.parker : meterParker(deps.parker, metrics),
    logger,
    partitionConcurrency: config.partitionConcurrency,
    startMinRemainingMs: config.runStartMinRemainingMs,
  });

  const handle = async (event: unknown, context: Context): Promise<KafkaBatchResponse> => {
    const kafkaEvent = readKafkaEvent(event);
    const deadline = deadlineOf(context);
    const report = await processBatch(kafkaEvent, {
      deadline,
      seenRuns: new Set(),
    });
    deps.onReport?.(report);
    metrics?.batch(report);
    logger.info('Batch processed', { records: report.outcomes.length, ...report.counts, durationMs: report.durationMs });

    const retries = report.outcomes.filter((o) => o.status === 'retry');
    if (retries.length === 0) return { batchItemFailures: [] };
    if (config.reportBatchItemFailures) {
      // Kafka wants an object itemIdentifier: { partition: "<topic>-<partition>",
      // offset: number }. A malformed identifier makes Lambda retry the whole batch.
      return {
        batchItemFailures: retries.map((o) => ({
          itemIdentifier: { partition: `${o.topic}-${o.partition}`, offset: o.offset },
        })),
      };
    }
    throw new BatchRetryError(report);
  };

  const handler = middy<unknown, KafkaBatchResponse>({ timeoutEarlyInMillis: 0 }).use(lambdaContextLogging(logger));
  // Tracing first: its subsegment then spans the other middlewares and the batch.
  if (tracing !== undefined) handler.use(tracing.middleware());
  if (metrics !== undefined) handler.use(metricsMiddleware(metrics, functionName));
  return handler.use(logErrors(logger)).handler(handle);
};

export type { HandlerDependencies };
export { BatchRetryError, createHandler, InvalidEventError };
