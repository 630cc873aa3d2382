import type { ChangeHandlerDefinition } from '../changes/define.js';
import type { ParkedRecord, Parker } from '../parking/parker.js';
import { isRetryable, RunNotEndedError } from '../runs/errors.js';
import type { RunExecution, RunExecutor, RunResult } from '../runs/execute.js';
import type { ClaimOutcome, ClaimRequest, FinalReport, LedgerEntry, RunLedger } from '../runs/ledger/ledger.js';
import type { ConsumerMetrics } from './metrics.js';
import { UNREGISTERED_ACTION } from './names.js';

/*
 * Wrappers that count what the consumer does without changing how it does it:
 * each one calls through, counts on the way back and rethrows what it caught.
 * They sit around the parts the handler is built from (the run executor, the
 * change handlers, the ledger, the parker), so the run lifecycle itself has no
 * metrics code.
 */

type Clock = () => number;

/**
 * Counts each run the lifecycle is given (RunsStarted), how long it took
 * (RunDuration), and what happened when the lifecycle threw (the batch report
 * then names no action: RunsRetried, or RunsFailed `run-not-ended`). Runs that
 * return are counted from the batch report.
 */
const meterRuns = (runs: RunExecutor, metrics: ConsumerMetrics, now: Clock = performance.now.bind(performance)): RunExecutor => ({
  async execute(execution: RunExecution): Promise<RunResult> {
    const action = execution.action?.identifier ?? UNREGISTERED_ACTION;
    metrics.runStarted(action);
    const started = now();
    try {
      return await runs.execute(execution);
    } catch (error) {
      metrics.runThrew(action, isRetryable(error), error instanceof RunNotEndedError ? RunNotEndedError.parkReason : 'handler-error');
      throw error;
    } finally {
      metrics.runDuration(action, now() - started);
    }
  },
});

/** Why a change handler failed, in the bounded words the ChangesFailed `reason` dimension uses. */
const changeFailure = (error: unknown): string =>
  error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError') ? 'timed-out' : 'handler-error';

/** Counts each change handler's calls, successes, failures and duration (per `changeHandler`). */
const meterChangeHandlers = (
  handlers: readonly ChangeHandlerDefinition[],
  metrics: ConsumerMetrics,
  now: Clock = performance.now.bind(performance)
): ChangeHandlerDefinition[] =>
  handlers.map((definition) => ({
    ...definition,
    async handler(change, ctx) {
      metrics.changeStarted(definition.identifier);
      const started = now();
      let failure: string | undefined;
      try {
        await definition.handler(change, ctx);
      } catch (error) {
        failure = changeFailure(error);
        throw error;
      } finally {
        metrics.changeEnded(definition.identifier, failure, now() - started);
      }
    },
  }));

/** Counts records that were parked (RecordsParked by reason), once the parker has them. */
const meterParker = (parker: Parker, metrics: ConsumerMetrics): Parker => ({
  async park(record: ParkedRecord): Promise<void> {
    await parker.park(record);
    metrics.parked(record.reason);
  },
});

/**
 * Counts ledger conflicts (a claim or a result refused because another
 * attempt holds the run) and ledger errors (a call that threw).
 */
class MeteredRunLedger implements RunLedger {
  constructor(
    private readonly ledger: RunLedger,
    private readonly metrics: ConsumerMetrics
  ) {}

  async #call<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      this.metrics.ledgerError();
      throw error;
    }
  }

  async claim(runId: string, request: ClaimRequest): Promise<ClaimOutcome> {
    const outcome = await this.#call(() => this.ledger.claim(runId, request));
    // Not claimed and no result: another attempt holds a live claim. (A run
    // with a result is not a conflict: it is reported again or left alone.)
    if (!outcome.claimed && outcome.entry.report === undefined && outcome.entry.deliveredAt === undefined) {
      this.metrics.ledgerConflict();
    }
    return outcome;
  }
  async storeResult(runId: string, owner: string, report: FinalReport): Promise<boolean> {
    const stored = await this.#call(() => this.ledger.storeResult(runId, owner, report));
    if (!stored) this.metrics.ledgerConflict();
    return stored;
  }
  markDelivered(runId: string): Promise<void> {
    return this.#call(() => this.ledger.markDelivered(runId));
  }
  release(claim: LedgerEntry): Promise<void> {
    return this.#call(() => this.ledger.release(claim));
  }
  get(runId: string): Promise<LedgerEntry | undefined> {
    return this.#call(() => this.ledger.get(runId));
  }
  listExpired(now: number, limit?: number): Promise<LedgerEntry[]> {
    return this.#call(() => this.ledger.listExpired(now, limit));
  }
}

export { changeFailure, MeteredRunLedger, meterChangeHandlers, meterParker, meterRuns };
