import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { PortClient, PortRun } from '../port/client.js';
import { RunStatus } from '../port/types.js';
import { createRunEnder, type Ending } from '../runs/end.js';
import { isRetryable } from '../runs/errors.js';
import { entryState, type FinalReport, type LedgerEntry, type RunLedger } from '../runs/ledger/ledger.js';
import { errorText, failureReport, interruptedReport, lapsedClaim } from '../runs/report.js';

/**
 * The sweeper: a scheduled pass that ends the runs nothing else will end.
 *
 * 1. Claims this backend took whose claim lapsed with no result (the container
 *    died and no retry of the record came, or retries ran out): the action's
 *    `onInterrupted` policy decides, as it would on a redelivery. `'fail'` is
 *    ended at once, with the executor's own interrupted report. `'rerun'` cannot
 *    be run from here (the sweeper has no record to run it with), so it is left
 *    for `rerunGraceMs` after the claim lapsed, time for a redelivery to run it
 *    again; after that it is ended FAILURE saying it was not run again.
 * 2. Runs of this backend's actions that have stayed IN_PROGRESS in Port longer
 *    than `staleRunMaxAgeMs` (since created or last updated) and that the ledger
 *    does not show running: a stored report is sent; a run the ledger has never
 *    seen (its record was lost, skipped, or never arrived) is claimed, so a late
 *    record cannot start it, and ended FAILURE saying so.
 *
 * Every ending claims the run first and asks Port where it stands, so a run a
 * redelivery or another sweep has ended is only marked done, never ended twice.
 */

interface SweeperOptions {
  ledger: RunLedger;
  port: PortClient;
  logger: Logger;
  /** This backend's action and automation identifiers (step 2 lists their runs). Empty: step 2 is off. */
  actions: readonly string[];
  /** Step 2 ends runs IN_PROGRESS longer than this. 0: step 2 is off. */
  staleRunMaxAgeMs: number;
  /** A lapsed `'rerun'` claim waits this long for a redelivery before it is ended. */
  rerunGraceMs: number;
  /**
   * Several backends share the org's topic and action identifiers (BACKEND_ENVIRONMENT):
   * Port's run listing cannot tell whose a run is, so step 2 is off.
   */
  environment?: string;
  /** Names the sweeper in its claims; default `sweeper/<random id>`. */
  owner?: string;
  /** A claim the sweeper takes lapses after this long (default 60 s): a sweeper that dies leaves it to the next. */
  claimMs?: number;
  /** Lapsed claims handled per pass (default 100); the rest wait for the next pass. */
  batchSize?: number;
  /** Pages of Port's run listing read per action (default 10, of 100 runs). */
  maxPages?: number;
  now?: () => number;
}

/** What one pass did. */
interface SweepReport {
  /** Lapsed claims found in the ledger. */
  lapsedClaims: number;
  /** Ended FAILURE as interrupted (onInterrupted: 'fail'). */
  interrupted: number;
  /** 'rerun' claims left for a redelivery (still within the grace). */
  rerunWaiting: number;
  /** 'rerun' claims ended FAILURE after the grace. */
  rerunEnded: number;
  /** Runs IN_PROGRESS in Port past the age limit, looked at. */
  staleSeen: number;
  /** Stale runs the ledger had never seen, ended FAILURE. */
  staleEnded: number;
  /** Reports stored by an attempt that could not send them, sent now. */
  reportsResent: number;
  /** Runs that had ended in Port (or that Port no longer has): only marked done. */
  alreadyEnded: number;
  /** Runs left alone: held by a live claim, or ended meanwhile by someone else. */
  leftAlone: number;
  /** Runs that could not be handled this pass (Port or the ledger failed); the next pass tries again. */
  errors: number;
  durationMs: number;
}

interface Sweeper {
  sweep(): Promise<SweepReport>;
}

const MINUTE = 60_000;

const minutes = (ms: number): string => {
  const m = ms / MINUTE;
  return Number.isInteger(m) ? String(m) : m.toFixed(1);
};

/** Summary of a `'rerun'` run whose claimant died and that no redelivery took over within the grace. */
const rerunNotRetriedSummary = (graceMs: number): string =>
  `interrupted: the backend stopped while the run was in progress; it was not run again, because no retry of its record came within ${minutes(graceMs)} minutes (onInterrupted: 'rerun')`;

/** Summary of a run that stayed IN_PROGRESS and that this backend never claimed. */
const staleSummary = (ageMs: number): string =>
  `not handled: the run stayed IN_PROGRESS for ${minutes(Math.floor(ageMs / MINUTE) * MINUTE)} minutes and this backend never started it (its Kafka record was lost, skipped or never delivered); ended by the sweeper`;

/** How long a run has waited in Port: since it was created or last changed (approval, a status label). */
const runAgeMs = (run: PortRun, now: number): number | undefined => {
  const times = [run.createdAt, run.updatedAt].map((t) => (t === undefined ? Number.NaN : Date.parse(t))).filter((t) => !Number.isNaN(t));
  return times.length === 0 ? undefined : now - Math.max(...times);
};

type Unended = Exclude<Ending, 'ended'>;

const createSweeper = (options: SweeperOptions): Sweeper => {
  const { ledger, port, logger } = options;
  const now = options.now ?? Date.now;
  const owner = options.owner ?? `sweeper/${randomUUID().slice(0, 8)}`;
  const claimMs = options.claimMs ?? 60_000;
  const ender = createRunEnder({
    port,
    ledger,
    owner,
    claimMs,
    notEndedMessage: 'Run could not be ended in Port; the next sweep tries again',
    now,
  });
  const claimAndEnd = ender.end;
  const resend = ender.resend;

  /** Step 1: lapsed claims, by their action's policy. */
  const sweepLapsedClaims = async (report: SweepReport): Promise<void> => {
    const lapsed = await ledger.listExpired(now(), options.batchSize ?? 100);
    report.lapsedClaims = lapsed.length;
    for (const entry of lapsed) {
      const log = logger.createChild({ persistentKeys: { runId: entry.runId, action: entry.action, policy: entry.policy } });
      const lapsedForMs = now() - entry.expiresAt;
      if (entry.policy === 'rerun' && lapsedForMs < options.rerunGraceMs) {
        report.rerunWaiting++;
        log.info('Interrupted run left for a redelivery to run it again (onInterrupted: rerun)', { lapsedForMs });
        continue;
      }
      const request = {
        action: entry.action,
        policy: entry.policy,
        ...(entry.topic !== undefined && entry.partition !== undefined && entry.offset !== undefined
          ? { record: { topic: entry.topic, partition: entry.partition, offset: entry.offset } }
          : {}),
      };
      const make = (interrupted: LedgerEntry | undefined): FinalReport => {
        // The claim just taken over is the one listed, unless another pass took it in between.
        const previous = interrupted ?? entry;
        return entry.policy === 'fail'
          ? interruptedReport(entry.runId, previous)
          : failureReport(
              entry.runId,
              rerunNotRetriedSummary(options.rerunGraceMs),
              `Interrupted: ${lapsedClaim(previous)}. No retry of its record came within ${minutes(options.rerunGraceMs)} minutes to run it again; ended by the sweeper.`
            );
      };
      try {
        const ending = await claimAndEnd(entry.runId, request, make, log);
        if (ending === 'ended') {
          if (entry.policy === 'fail') report.interrupted++;
          else report.rerunEnded++;
          log.warn('Interrupted run ended FAILURE by the sweeper', { claimant: entry.owner });
        } else count(report, ending);
      } catch (error) {
        report.errors++;
        log.error('Could not end an interrupted run; the next pass tries again', { error: errorText(error) });
      }
    }
  };

  /** Step 2: runs that stayed IN_PROGRESS in Port past the age limit. */
  const sweepStaleRuns = async (report: SweepReport): Promise<void> => {
    if (options.staleRunMaxAgeMs <= 0 || options.actions.length === 0) return;
    if (options.environment !== undefined) {
      logger.info(
        "Stale-run sweep is off: with BACKEND_ENVIRONMENT set, Port's run listing cannot tell this backend's runs from another environment's"
      );
      return;
    }
    for (const action of options.actions) {
      // The whole listing first, then the endings: ending runs while paging would
      // change the listing under the cursor.
      const runs: PortRun[] = [];
      let next: string | undefined;
      try {
        for (let page = 0; page < (options.maxPages ?? 10); page++) {
          const listed = await port.listRuns({ action, active: true, limit: 100, ...(next === undefined ? {} : { next }) });
          runs.push(...listed.runs);
          next = listed.next;
          if (next === undefined) break;
        }
      } catch (error) {
        report.errors++;
        logger.error("Could not list the action's runs in Port; the next pass tries again", { action, error: errorText(error) });
        continue;
      }
      for (const run of runs) await sweepStaleRun(run, action, report);
    }
  };

  const sweepStaleRun = async (run: PortRun, action: string, report: SweepReport): Promise<void> => {
    // Waiting for approval is not stale: the backend has not been asked yet.
    if (run.status !== RunStatus.IN_PROGRESS) return;
    const ageMs = runAgeMs(run, now());
    if (ageMs === undefined || ageMs < options.staleRunMaxAgeMs) return;
    report.staleSeen++;
    const log = logger.createChild({ persistentKeys: { runId: run.id, action } });
    try {
      const entry = await ledger.get(run.id);
      const state = entry === undefined ? undefined : entryState(entry, now());
      if (entry !== undefined && state === 'reported') {
        count(report, await resend(entry, log));
        return;
      }
      if (state !== undefined) {
        // Running (a live claim), lapsed (step 1's), or done as far as the ledger knows.
        report.leftAlone++;
        return;
      }
      const ending = await claimAndEnd(
        run.id,
        { action, policy: 'fail' },
        () => failureReport(run.id, staleSummary(ageMs), `Ended by the sweeper: ${staleSummary(ageMs)}.`),
        log
      );
      if (ending === 'ended') {
        report.staleEnded++;
        log.warn('Stale run ended FAILURE by the sweeper', { ageMinutes: Math.floor(ageMs / MINUTE) });
      } else count(report, ending);
    } catch (error) {
      report.errors++;
      log.error('Could not end a stale run; the next pass tries again', { error: errorText(error), retryable: isRetryable(error) });
    }
  };

  const count = (report: SweepReport, ending: Unended): void => {
    if (ending === 'already-ended') report.alreadyEnded++;
    else if (ending === 'resent') report.reportsResent++;
    else report.leftAlone++;
  };

  return {
    async sweep() {
      const startedAt = now();
      const report: SweepReport = {
        lapsedClaims: 0,
        interrupted: 0,
        rerunWaiting: 0,
        rerunEnded: 0,
        staleSeen: 0,
        staleEnded: 0,
        reportsResent: 0,
        alreadyEnded: 0,
        leftAlone: 0,
        errors: 0,
        durationMs: 0,
      };
      try {
        await sweepLapsedClaims(report);
      } catch (error) {
        // The listing itself failed: step 2 still runs.
        report.errors++;
        logger.error('Could not list lapsed claims in the run ledger', { error: errorText(error) });
      }
      await sweepStaleRuns(report);
      report.durationMs = now() - startedAt;
      return report;
    },
  };
};

export type { Sweeper, SweeperOptions, SweepReport };
export { createSweeper, rerunNotRetriedSummary, staleSummary };
