import type { Logger } from '@aws-lambda-powertools/logger';
import type { PortClient } from '../port/client.js';
import { isEndedStatus } from '../port/types.js';
import { type ClaimRequest, entryState, type FinalReport, type LedgerEntry, type RunLedger } from './ledger/ledger.js';
import { createReporter, errorText, isNotFound } from './report.js';

/**
 * Ending a run from outside its execution (the sweeper, redrive), with the same
 * guarantees as the executor: claim it in the ledger first (so a late record
 * cannot start it while it is being ended), ask Port where it stands (a run that
 * ended meanwhile is only marked done), send the report, then record it.
 */

/** What ending a run came to. */
type Ending =
  /** The report was sent and Port took it. */
  | 'ended'
  /** Port had ended it already, or no longer has it: only marked done. */
  | 'already-ended'
  /** Another attempt holds it or finished it: not touched. */
  | 'left-alone'
  /** An attempt had stored its report but not delivered it: that report was sent instead. */
  | 'resent';

interface RunEnderOptions {
  port: PortClient;
  ledger: RunLedger;
  /** Names the caller in its claims, e.g. `sweeper/1a2b3c4d`. */
  owner: string;
  /** A claim taken here lapses after this long (default 60 s): a caller that dies leaves the run to the next. */
  claimMs?: number;
  /** The error line when Port refuses to end the run (always with `reason: run-not-ended`). */
  notEndedMessage: string;
  now?: () => number;
}

interface RunEnder {
  /**
   * Claims the run, checks Port, sends the report `make` builds (told the
   * lapsed claim it took over, if any), then stores it and marks it delivered.
   * The report is sent while the claim is held and stored after, so a failure
   * to send hands the claim back (a lapsed claim stays listed for the sweeper).
   * Throws what Port or the ledger threw.
   */
  end(
    runId: string,
    request: Omit<ClaimRequest, 'owner' | 'expiresAt'>,
    make: (interrupted: LedgerEntry | undefined) => FinalReport,
    logger: Logger
  ): Promise<Ending>;
  /** Sends a report an attempt stored but could not deliver, then marks it done. */
  resend(entry: LedgerEntry, logger: Logger): Promise<'resent'>;
}

const DEFAULT_CLAIM_MS = 60_000;

const createRunEnder = (options: RunEnderOptions): RunEnder => {
  const { port, ledger } = options;
  const now = options.now ?? Date.now;
  const reporter = createReporter({ port, ledger, notEndedMessage: options.notEndedMessage });

  const resend = async (entry: LedgerEntry, logger: Logger): Promise<'resent'> => {
    const report = entry.report as FinalReport;
    await reporter.deliver(report, undefined, logger);
    await ledger.markDelivered(entry.runId);
    logger.info('Sent a stored report that its attempt could not deliver', { status: report.patch.status });
    return 'resent';
  };

  return {
    resend,
    async end(runId, request, make, logger) {
      const claimed = await ledger.claim(runId, {
        ...request,
        owner: options.owner,
        expiresAt: now() + (options.claimMs ?? DEFAULT_CLAIM_MS),
      });
      if (!claimed.claimed) {
        // Taken over or finished since it was looked at: a stored report is sent, anything else is someone else's.
        return entryState(claimed.entry, now()) === 'reported' ? resend(claimed.entry, logger) : 'left-alone';
      }
      const claim = claimed.entry;
      const handBack = async (error: unknown): Promise<never> => {
        await ledger.release(claim).catch(() => undefined);
        throw error;
      };
      let status: string;
      try {
        status = (await port.getRun(runId)).status;
      } catch (error) {
        if (isNotFound(error)) {
          // Nothing to end; marked done so nobody asks again.
          await ledger.markDelivered(runId);
          logger.warn('Run does not exist in Port; nothing to end');
          return 'already-ended';
        }
        return handBack(error);
      }
      if (isEndedStatus(status)) {
        await ledger.markDelivered(runId);
        return 'already-ended';
      }
      const report = make(claimed.interrupted);
      try {
        await reporter.deliver(report, undefined, logger);
      } catch (error) {
        return handBack(error);
      }
      await ledger.storeResult(runId, options.owner, report).catch((error: unknown) => {
        logger.warn('Could not store the sent report in the run ledger', { error: errorText(error) });
      });
      await ledger.markDelivered(runId);
      return 'ended';
    },
  };
};

export type { Ending, RunEnder, RunEnderOptions };
export { createRunEnder };
