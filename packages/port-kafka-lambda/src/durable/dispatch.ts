import type { Logger } from '@aws-lambda-powertools/logger';
import type { ActionDefinition } from '../actions/define.js';
import { PortKafkaError } from '../errors.js';
import type { RecordCoordinates } from '../kafka/decode.js';
import type { RunRequest } from '../messages/run-request.js';
import type { PortClient } from '../port/client.js';
import { isRetryable, RunClaimedError } from '../runs/errors.js';
import type { RunResult } from '../runs/execute.js';
import { entryState, type FinalReport, type LedgerEntry, type RunLedger, RunLedgerError } from '../runs/ledger/ledger.js';
import { createReporter, errorText, failureReport, interruptedReport } from '../runs/report.js';
import { type DurableRunPayload, executionName, executionOwner } from './payload.js';
import { DEFAULT_EXECUTION_TIMEOUT_MS } from './time.js';

/** One run of a durable action, handed over by the router. */
interface DurableRunStart {
  run: RunRequest;
  action: ActionDefinition;
  record: RecordCoordinates;
}

/**
 * Hands durable runs to their executor: the Lambda dispatcher in AWS, the
 * in-process runner locally. Resolves once the run is handed over (or, for
 * the in-process runner that awaits, once it ended); throws a retryable error
 * to leave the record for a retry.
 */
interface DurableRunStarter {
  start(request: DurableRunStart): Promise<RunResult>;
}

/** What starting an execution came to. */
type Launch =
  /** A new execution runs the run. */
  | { kind: 'started'; executionArn?: string }
  /** An execution of that name exists already: a redelivery, or a start whose answer was lost. */
  | { kind: 'already-started' }
  /** The execution ran to its end before `launch` returned (in-process, awaited). */
  | { kind: 'finished'; result: RunResult };

/** Why an execution could not be started, when no retry would help (no such function, not allowed, payload too large). */
class DurableStartError extends PortKafkaError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DurableStartError';
  }
}

interface DispatcherOptions {
  ledger: RunLedger;
  port: PortClient;
  logger: Logger;
  /**
   * Starts the execution `name` with `payload`. Throws a retryable error
   * (`retryable: true`) for a retry, {@link DurableStartError} when the start
   * was refused for good.
   */
  launch(name: string, payload: DurableRunPayload, logger: Logger): Promise<Launch>;
  /** The executor's execution timeout: the claim lasts this long (plus a grace) from acceptance. */
  executionTimeoutMs?: number;
  claimGraceMs?: number;
  now?: () => number;
}

const CLAIM_GRACE_MS = 60_000;

/**
 * The dispatcher's half of a durable run. It claims the run in the ledger on
 * behalf of the execution (owner `durable/<name>`), so the sweeper and other
 * containers see it as running, then starts the execution named after the run
 * id. A redelivered record finds its own claim and starts the same name with
 * the same payload (acceptedAt is the claim's), which Lambda answers with the
 * existing execution: nothing runs twice. A claim that lapsed without a report
 * (the execution died) follows the action's onInterrupted policy: 'fail' ends
 * the run here, 'rerun' starts attempt n+1 under a new name.
 */
const createDurableDispatcher = (options: DispatcherOptions): DurableRunStarter => {
  const now = options.now ?? (() => Date.now());
  const executionTimeoutMs = options.executionTimeoutMs ?? DEFAULT_EXECUTION_TIMEOUT_MS;
  const grace = options.claimGraceMs ?? CLAIM_GRACE_MS;
  const { ledger } = options;
  const { deliver } = createReporter({ port: options.port, ledger });

  /** Stores (when claimed) and delivers a report, as the inline executor does. */
  const end = async (claim: LedgerEntry | undefined, report: FinalReport, reason: string, logger: Logger): Promise<RunResult> => {
    if (claim && !((await ledger.storeResult(report.runId, claim.owner, report).catch(() => undefined)) ?? true)) {
      return { status: 'skipped', reason: 'claim-lost' };
    }
    const delivery = await deliver(report, claim, logger);
    await ledger.markDelivered(report.runId).catch(() => undefined);
    if (delivery.kind === 'not-found') return { status: 'skipped', reason: 'run-not-found' };
    if (delivery.kind === 'refused') return { status: 'FAILURE', reason: 'report-refused' };
    return { status: report.patch.status, reason };
  };

  return {
    async start({ run, action, record }) {
      const logger = options.logger.createChild({
        persistentKeys: { runId: run.runId, action: run.action, topic: record.topic, partition: record.partition, offset: record.offset },
      });
      const owner = executionOwner(executionName(run.runId));
      const at = now();
      let claimed;
      try {
        claimed = await ledger.claim(run.runId, {
          owner,
          // The execution cannot outlive its timeout: past it, the claimant is gone.
          expiresAt: at + executionTimeoutMs + grace,
          action: action.identifier,
          policy: action.onInterrupted ?? 'fail',
          record: { topic: record.topic, partition: record.partition, offset: record.offset },
        });
      } catch (error) {
        if (!(error instanceof RunLedgerError) || error.retryable) throw error;
        logger.error('The run ledger refused the claim; the run is ended FAILURE', { error: errorText(error) });
        const summary = `The backend could not record the run in its run ledger, so it did not start it: ${error.message}`;
        return end(undefined, failureReport(run.runId, summary, summary), 'ledger-error', logger);
      }

      const entry = claimed.entry;
      if (claimed.claimed && claimed.interrupted) {
        if (entry.policy === 'fail') {
          logger.warn('Run was interrupted: reported as FAILURE (onInterrupted: fail)', { previousOwner: claimed.interrupted.owner });
          return end(entry, interruptedReport(run.runId, claimed.interrupted), 'interrupted', logger);
        }
        logger.warn('Run was interrupted: starting it again (onInterrupted: rerun)', {
          previousOwner: claimed.interrupted.owner,
          attempt: entry.attempt,
        });
      } else if (!claimed.claimed) {
        switch (entryState(entry, now())) {
          case 'delivered':
            logger.info('Run already reported (run ledger); not started again');
            return { status: 'skipped', reason: 'already-ended' };
          case 'reported': {
            const report = entry.report as FinalReport;
            const delivery = await deliver(report, undefined, logger);
            await ledger.markDelivered(run.runId).catch(() => undefined);
            if (delivery.kind === 'not-found') return { status: 'skipped', reason: 'run-not-found' };
            return { status: delivery.kind === 'refused' ? 'FAILURE' : report.patch.status, reason: 'report-resent' };
          }
          default:
            // Someone else runs it (an inline attempt from before the action became durable): wait for them.
            if (entry.owner !== owner) throw new RunClaimedError(run.runId, entry.owner, entry.expiresAt);
            // Ours: a redelivery, or a retry after a lost answer. Same name, same payload.
            break;
        }
      }

      const name = executionName(run.runId, entry.attempt);
      const payload: DurableRunPayload = {
        v: 1,
        run: { ...run },
        record: { ...record },
        acceptedAt: entry.claimedAt,
        attempt: entry.attempt,
      };
      let launched: Launch;
      try {
        launched = await options.launch(name, payload, logger);
      } catch (error) {
        // The claim stays: the retry reuses its acceptedAt, so its payload, and Lambda sees the same start.
        if (isRetryable(error)) throw error;
        const summary = `The backend could not start the run's durable execution: ${error instanceof Error ? error.message : String(error)}`;
        logger.error('Could not start the durable execution; the run is ended FAILURE', { execution: name, error: errorText(error) });
        return end(entry, failureReport(run.runId, summary, summary), 'dispatch-refused', logger);
      }
      switch (launched.kind) {
        case 'finished':
          return launched.result;
        case 'already-started':
          logger.info('Durable execution already started; not started again', { execution: name });
          return { status: 'skipped', reason: 'already-dispatched' };
        default:
          logger.info('Run handed to its durable execution', {
            execution: name,
            ...(launched.executionArn ? { executionArn: launched.executionArn } : {}),
          });
          return { status: 'skipped', reason: 'dispatched' };
      }
    },
  };
};

/** What the Kafka handler shares with its durable runs: claims live in the same ledger as inline runs'. */
interface DurableRunsContext {
  ledger: RunLedger;
  port: PortClient;
  logger: Logger;
}

/** Builds the starter once the handler has its ledger and Port client (HandlerDependencies.durable). */
type DurableRuns = (shared: DurableRunsContext) => DurableRunStarter;

/**
 * Where durable runs go when nothing says: nowhere. The run is ended FAILURE
 * with the reason instead of running inline, where its context has no steps.
 */
const unconfiguredDurableRuns: DurableRuns = (shared) =>
  createDurableDispatcher({
    ...shared,
    launch: async () => {
      throw new DurableStartError(
        'the action is durable but this deployment has no run executor (DURABLE_EXECUTOR_FUNCTION is unset); the CDK stack creates one when the app has a durable action'
      );
    },
  });

export type { DispatcherOptions, DurableRunStart, DurableRunStarter, DurableRuns, DurableRunsContext, Launch };
export { createDurableDispatcher, DurableStartError, unconfiguredDurableRuns };
