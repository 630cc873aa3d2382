import type { Logger } from '@aws-lambda-powertools/logger';
import type { PortClient } from '../port/client.js';
import { PortApiError, PortAuthError, PortCredentialsError, PortUnavailableError } from '../port/errors.js';
import { isEndedStatus } from '../port/types.js';
import { isRetryable, RunNotEndedError } from './errors.js';
import type { FinalReport, LedgerEntry, RunLedger } from './ledger/ledger.js';

/**
 * Sending a run's final report to Port, shared by everything that ends runs:
 * the executor, the sweeper and redrive. One path means one set of rules for
 * what a refusal, a lost answer or a run Port no longer knows turns into.
 */

/** The summary of a run whose claimant died and whose action says `onInterrupted: 'fail'`. */
const INTERRUPTED_SUMMARY = 'interrupted: the backend stopped while the run was in progress; not retried automatically';

const MAX_SUMMARY = 1000;

const clip = (text: string, max = MAX_SUMMARY): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

const errorText = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

const isNotFound = (error: unknown): boolean => error instanceof PortApiError && error.status === 404;

/**
 * Failures where a second, plainer PATCH would fare no better: Port refused the
 * credentials or a token, the secret cannot be read, or the host does not
 * resolve. Anything else Port refused was about this request's content.
 */
const refusesEveryCall = (error: unknown): boolean =>
  error instanceof PortAuthError || error instanceof PortCredentialsError || (error instanceof PortUnavailableError && !error.retryable);

/** A FAILURE report: `summary` for the run page, `log` as its last log line. */
const failureReport = (runId: string, summary: string, log: string): FinalReport => ({
  runId,
  log,
  patch: { status: 'FAILURE', summary: clip(summary) },
});

/** What a claim that lapsed without a result says about its claimant, for the run's log. */
const lapsedClaim = (interrupted: LedgerEntry): string =>
  `${interrupted.owner} claimed it at ${new Date(interrupted.claimedAt).toISOString()} and stopped before reporting it (the claim lapsed at ${new Date(interrupted.expiresAt).toISOString()})`;

/**
 * The report of a run whose claimant died, for an action with `onInterrupted: 'fail'`:
 * the executor sends it when the record comes back, the sweeper when it does not.
 */
const interruptedReport = (runId: string, interrupted: LedgerEntry): FinalReport =>
  failureReport(
    runId,
    INTERRUPTED_SUMMARY,
    `Interrupted: ${lapsedClaim(interrupted)}. The action does not declare onInterrupted: 'rerun', so it is not run again.`
  );

/** How a final report ended up. */
type Delivery =
  /** Port took it, or showed the run had ended (an earlier attempt's answer was lost). */
  | { kind: 'delivered' }
  /** Port refused the report itself; a plain FAILURE saying so was sent instead. */
  | { kind: 'refused' }
  /** The run no longer exists in Port. */
  | { kind: 'not-found' };

interface ReporterOptions {
  port: PortClient;
  ledger: RunLedger;
  /**
   * The error line when Port refuses to end a run (default the executor's,
   * {@link RunNotEndedError.logMessage}). Every caller's line carries
   * `reason: run-not-ended`, which the stack's metric filter counts.
   */
  notEndedMessage?: string;
}

interface Reporter {
  /**
   * Sends a stored report: its log line (once), then its status patch. Throws a
   * retryable error for a later retry (after noting in the ledger that the log
   * line went out, when `claim` is the holder's), and {@link RunNotEndedError}
   * when Port refuses to end the run at all.
   */
  deliver(report: FinalReport, claim: LedgerEntry | undefined, logger: Logger): Promise<Delivery>;
  /** After a 422 on an ending call: whether the run has ended in Port after all. */
  endedInPort(runId: string, error: unknown, logger: Logger): Promise<boolean>;
}

const createReporter = (options: ReporterOptions): Reporter => {
  const { port, ledger } = options;

  const endedInPort = async (runId: string, error: unknown, logger: Logger): Promise<boolean> => {
    if (!(error instanceof PortApiError) || error.status !== 422) return false;
    let status: string | undefined;
    try {
      status = (await port.getRun(runId)).status;
    } catch (checkError) {
      // Port did not say: a later retry asks again rather than take the 422 as a refusal.
      if (isRetryable(checkError)) throw checkError;
      return false;
    }
    if (!isEndedStatus(status)) return false;
    logger.warn('Run had already ended in Port; final report not sent again', { status });
    return true;
  };

  const notEnded = (runId: string, error: unknown, logger: Logger): RunNotEndedError => {
    const notEndedError = new RunNotEndedError(runId, error);
    // A stable field for the stack's metric filter and alarm (RunsNotEnded).
    logger.error(options.notEndedMessage ?? RunNotEndedError.logMessage, {
      reason: RunNotEndedError.parkReason,
      error: errorText(error),
    });
    return notEndedError;
  };

  const deliver = async (report: FinalReport, claim: LedgerEntry | undefined, logger: Logger): Promise<Delivery> => {
    let logSent = report.logSent === true;
    if (report.log && !logSent) {
      try {
        await port.addRunLog(report.runId, { message: report.log });
        logSent = true;
      } catch (error) {
        if (isRetryable(error)) {
          logger.error('Could not report the run to Port; it will be reported when the batch is retried', { error: errorText(error) });
          throw error;
        }
        // The summary carries the same words; the run still gets its status.
        logger.warn('Port refused the final log line; the run is ended without it', { error: errorText(error) });
      }
    }
    try {
      await port.updateRun(report.runId, report.patch);
      return { kind: 'delivered' };
    } catch (error) {
      if (isRetryable(error)) {
        if (logSent && !report.logSent && claim) {
          // So the retry does not post the final log line twice.
          await ledger.storeResult(report.runId, claim.owner, { ...report, logSent: true }).catch(() => undefined);
        }
        logger.error('Could not report the run to Port; it will be reported when the batch is retried', { error: errorText(error) });
        throw error;
      }
      if (isNotFound(error)) {
        logger.warn('Run no longer exists in Port; its report is dropped');
        return { kind: 'not-found' };
      }
      // Port refuses to end a run twice. If it has ended, an earlier attempt
      // got through and only its answer was lost: the report is delivered.
      if (await endedInPort(report.runId, error, logger)) return { kind: 'delivered' };
      if (refusesEveryCall(error)) throw notEnded(report.runId, error, logger);
      // Port refused this report (a field it will not take): end the run with a
      // plain FAILURE that says so rather than leave it IN_PROGRESS.
      const outcome = report.patch.status === 'SUCCESS' ? 'The action succeeded' : 'The action failed';
      const summary = clip(
        `${outcome}, but Port refused its report (${errorText(error)}). Its summary: ${report.patch.summary ?? '(none)'}`
      );
      try {
        await port.updateRun(report.runId, { status: 'FAILURE', summary });
      } catch (fallbackError) {
        if (isRetryable(fallbackError)) throw fallbackError;
        if (await endedInPort(report.runId, fallbackError, logger)) return { kind: 'delivered' };
        throw notEnded(report.runId, fallbackError, logger);
      }
      logger.warn("Port refused the run's report; ended it FAILURE with the reason instead", { error: errorText(error) });
      return { kind: 'refused' };
    }
  };

  return { deliver, endedInPort };
};

export type { Delivery, Reporter, ReporterOptions };
export { clip, createReporter, errorText, failureReport, INTERRUPTED_SUMMARY, interruptedReport, isNotFound, lapsedClaim };
