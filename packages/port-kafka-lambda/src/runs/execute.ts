import { type KeyObject, randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ActionDefinition, ActionResult } from '../actions/define.js';
import { declaredSecret } from '../actions/inputs.js';
import type { RecordCoordinates } from '../kafka/decode.js';
import { describeIssues } from '../messages/normalize.js';
import type { RunRequest } from '../messages/run-request.js';
import type { PortClient } from '../port/client.js';
import type { PortCredentials } from '../port/credentials.js';
import { createSecretInputsKeyLoader } from '../port/secret-inputs-key.js';
import { isEndedStatus, type RunPatch } from '../port/types.js';
import type { RunContext } from './context.js';
import { type Deadline, MAX_TIMER_MS } from './deadline.js';
import { DeadlineError, isRetryable, RunClaimedError, RunClosedError, RunTimeoutError, SecretInputError } from './errors.js';
import { entryState, type FinalReport, type LedgerEntry, type RunLedger, RunLedgerError } from './ledger/ledger.js';
import { MemoryRunLedger } from './ledger/memory.js';
import { clip, createReporter, errorText, failureReport as fail, INTERRUPTED_SUMMARY, interruptedReport, isNotFound } from './report.js';
import { decryptRunSecret } from './secret-inputs.js';

/** What happened to one run, as the batch sees it. */
interface RunResult {
  status: 'SUCCESS' | 'FAILURE' | 'skipped';
  /**
   * Why: `succeeded`, `handler-error`, `invalid-inputs`, `timed-out`,
   * `unknown-action`, `interrupted` (its claimant died; policy 'fail'),
   * `port-refused` (Port refused a call before the action started),
   * `report-refused` (Port refused the report; a plain FAILURE was sent instead),
   * `ledger-error` (the run ledger refused the claim), `already-ended`,
   * `run-not-found`, `report-resent`, `claim-lost` (another attempt took the run
   * over after this one's claim expired; it reports, not this one).
   */
  reason: string;
}

interface RunExecution {
  run: RunRequest;
  /** Undefined when no action is registered and the policy says to fail the run. */
  action: ActionDefinition | undefined;
  record: RecordCoordinates;
  deadline: Deadline;
}

interface RunExecutor {
  /**
   * Executes and reports one run. Throws a retryable error when Port or the
   * ledger cannot be reached or another attempt holds the run, and
   * {@link RunNotEndedError} when Port refuses even to end the run.
   */
  execute(execution: RunExecution): Promise<RunResult>;
}

interface RunExecutorOptions {
  port: PortClient;
  credentials: () => Promise<PortCredentials>;
  logger: Logger;
  /** Named in the "picked up" log line so users know which deployment ran it. */
  functionName: string;
  /** Do not start a run with less than this left before the Lambda deadline. */
  startMinRemainingMs: number;
  /** Report a still-running run as timed out this long before the deadline. */
  deadlineMarginMs: number;
  /**
   * Claims and final reports, shared by every container (DynamoDB in AWS): a
   * redelivered run is left alone while its claimant runs it, reported again if
   * its report was stored but not delivered, and handled by the action's
   * `onInterrupted` policy if its claimant died. Default: in this process's memory.
   */
  ledger?: RunLedger;
  /** Names this container in its claims; default `<functionName>/<random id>`. */
  owner?: string;
  /** How long past the run's deadline its claim lapses; default {@link CLAIM_GRACE_MS}. */
  claimGraceMs?: number;
  /** RSA private key of client-side encrypted secret inputs; default from PORT_SECRET_INPUTS_PRIVATE_KEY(_ARN), read on first use. */
  secretInputsKey?: () => Promise<KeyObject>;
  now?: () => number;
}

/**
 * A claim lapses this long after the run's deadline. Past the deadline Lambda has
 * stopped the invocation; the grace covers clocks of different containers
 * disagreeing by a little.
 */
const CLAIM_GRACE_MS = 10_000;

const asLinks = (link: ActionResult['link']): string[] => (link === undefined ? [] : typeof link === 'string' ? [link] : [...link]);

/** Replaces every decrypted secret in a text with a mask, so a handler's error message cannot leak one. */
const scrub = (text: string, secrets: ReadonlySet<string>): string => {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('[REDACTED]');
  return out;
};

/** Masks decrypted secrets in every free-text field of a run patch. */
const scrubPatch = <P extends RunPatch>(patch: P, secrets: ReadonlySet<string>): P => {
  if (secrets.size === 0) return patch;
  const out = { ...patch };
  if (out.summary !== undefined) out.summary = scrub(out.summary, secrets);
  if (out.statusLabel !== undefined) out.statusLabel = scrub(out.statusLabel, secrets);
  if (out.externalRunId !== undefined) out.externalRunId = scrub(out.externalRunId, secrets);
  if (out.link !== undefined) out.link = typeof out.link === 'string' ? scrub(out.link, secrets) : out.link.map((l) => scrub(l, secrets));
  return out;
};

/**
 * The run lifecycle: claim the run in the ledger (so no two attempts execute it),
 * check Port's view of it (so a finished run is never executed again), say it was
 * picked up, validate the inputs, run the handler against the Lambda deadline,
 * store the report, and report SUCCESS or FAILURE with a summary, links and a
 * final log. Whatever fails after the claim ends the run FAILURE with a reason
 * if Port accepts a PATCH at all.
 */
const createRunExecutor = (options: RunExecutorOptions): RunExecutor => {
  const now = options.now ?? Date.now;
  const ledger = options.ledger ?? new MemoryRunLedger({ now });
  const secretInputsKey = options.secretInputsKey ?? createSecretInputsKeyLoader();
  const owner = options.owner ?? `${options.functionName}/${randomUUID().slice(0, 8)}`;
  const claimGraceMs = options.claimGraceMs ?? CLAIM_GRACE_MS;

  const { deliver } = createReporter({ port: options.port, ledger });

  /**
   * Stores the report in the ledger, then sends it, then marks it delivered.
   * Storing first is what lets a retry on any container re-report instead of re-execute.
   */
  const finish = async (claim: LedgerEntry | undefined, report: FinalReport, reason: string, logger: Logger): Promise<RunResult> => {
    if (claim) {
      let stored: boolean | undefined;
      try {
        stored = await ledger.storeResult(report.runId, claim.owner, report);
      } catch (error) {
        // Port is still told: a run ended without a ledger record beats one left running.
        logger.error('Could not store the final report in the run ledger; sending it anyway', { error: errorText(error) });
      }
      if (stored === false) {
        logger.warn('Another attempt took this run over after this claim expired; it reports the run, this result is dropped', {
          status: report.patch.status,
        });
        return { status: 'skipped', reason: 'claim-lost' };
      }
    }
    const delivery = await deliver(report, claim, logger);
    await settle(report.runId, logger);
    if (delivery.kind === 'not-found') return { status: 'skipped', reason: 'run-not-found' };
    if (delivery.kind === 'refused') return { status: 'FAILURE', reason: 'report-refused' };
    return { status: report.patch.status, reason };
  };

  /** Port needs nothing more about this run; a failure here only costs a re-check on redelivery. */
  const settle = async (runId: string, logger: Logger): Promise<void> => {
    await ledger.markDelivered(runId).catch((error: unknown) => {
      logger.warn('Could not mark the run delivered in the run ledger', { error: errorText(error) });
    });
  };

  /** Hands back a claim whose action never started. */
  const release = async (claim: LedgerEntry, logger: Logger): Promise<void> => {
    await ledger.release(claim).catch((releaseError: unknown) => {
      // The claim then lapses at its deadline and the action's policy applies to the retry.
      logger.warn("Could not release the run's claim in the run ledger", { error: errorText(releaseError) });
    });
  };

  /** Hands the claim back before rethrowing a failure that happened before the action started. */
  const releaseAndThrow = async (claim: LedgerEntry, error: unknown, logger: Logger): Promise<never> => {
    await release(claim, logger);
    throw error;
  };

  /** Claims the run; returns the claim, or the result for a run this attempt must not execute. */
  const claimRun = async (
    execution: RunExecution,
    expiresAt: number,
    logger: Logger
  ): Promise<{ claim: LedgerEntry; interrupted?: LedgerEntry } | RunResult> => {
    const { run, action, record } = execution;
    let claimed;
    try {
      claimed = await ledger.claim(run.runId, {
        owner,
        expiresAt,
        action: action?.identifier ?? run.action,
        policy: action?.onInterrupted ?? 'fail',
        record: { topic: record.topic, partition: record.partition, offset: record.offset },
      });
    } catch (error) {
      if (!(error instanceof RunLedgerError) || error.retryable) throw error;
      // The table is missing or not ours to write: no run can be claimed until the
      // deployment is fixed. End this one rather than leave it IN_PROGRESS.
      logger.error('The run ledger refused the claim; the run is ended FAILURE', { error: errorText(error) });
      const summary = `The backend could not record the run in its run ledger, so it did not start it: ${error.message}`;
      return finish(undefined, fail(run.runId, summary, summary), 'ledger-error', logger);
    }
    if (claimed.claimed) {
      return claimed.interrupted ? { claim: claimed.entry, interrupted: claimed.interrupted } : { claim: claimed.entry };
    }
    const entry = claimed.entry;
    switch (entryState(entry, now())) {
      case 'delivered':
        logger.info('Run already reported (run ledger); not executed again');
        return { status: 'skipped', reason: 'already-ended' };
      case 'reported': {
        const report = entry.report as FinalReport;
        const delivery = await deliver(report, undefined, logger);
        await settle(run.runId, logger);
        if (delivery.kind === 'not-found') return { status: 'skipped', reason: 'run-not-found' };
        logger.info('Delivered the report of a run executed by an earlier attempt', { status: report.patch.status });
        return { status: delivery.kind === 'refused' ? 'FAILURE' : report.patch.status, reason: 'report-resent' };
      }
      default:
        // Running elsewhere, or lapsed a moment ago (the retry takes it over).
        logger.info('Run is held by another attempt; left for a retry', { owner: entry.owner, attempt: entry.attempt });
        throw new RunClaimedError(run.runId, entry.owner, entry.expiresAt);
    }
  };

  return {
    async execute(execution) {
      const { run, action, record, deadline } = execution;
      const logger = options.logger.createChild({
        persistentKeys: {
          runId: run.runId,
          action: run.action,
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
        },
      });

      // The run's time budget is fixed here, when it is accepted: a deadline pulled in later
      // (the consumer draining on SIGTERM) stops new runs, not this one.
      const acceptedAt = now();
      const remainingAtAccept = deadline.remainingMs();
      if (remainingAtAccept < options.startMinRemainingMs) {
        throw new DeadlineError(`Only ${remainingAtAccept} ms left before the Lambda deadline; run ${run.runId} is left for the retry`);
      }

      // The claim lapses at the run's deadline: past it, its claimant cannot still be running it.
      const claimed = await claimRun(execution, acceptedAt + Math.min(remainingAtAccept, MAX_TIMER_MS) + claimGraceMs, logger);
      if (!('claim' in claimed)) return claimed;
      const { claim, interrupted } = claimed;

      let status: string;
      try {
        status = (await options.port.getRun(run.runId)).status;
      } catch (error) {
        if (isNotFound(error)) {
          logger.warn('Run does not exist in Port; skipped (was it sent by another org or deleted?)');
          // No entry is kept for a run Port does not know: a redelivery asks Port again.
          await release(claim, logger);
          return { status: 'skipped', reason: 'run-not-found' };
        }
        if (isRetryable(error)) return releaseAndThrow(claim, error, logger);
        // Port will not say where the run stands. Executing it blind could repeat
        // a finished run, so end it with the reason instead.
        const summary = `Port refused this backend's status check of the run, so it was not started: ${errorText(error)}`;
        logger.warn("Port refused the run's status check: run reported as FAILURE", { error: errorText(error) });
        return finish(claim, fail(run.runId, summary, summary), 'port-refused', logger);
      }
      if (isEndedStatus(status)) {
        logger.info('Run already ended in Port; not executed again', { status });
        await settle(run.runId, logger);
        return { status: 'skipped', reason: 'already-ended' };
      }

      if (interrupted) {
        if (claim.policy === 'fail') {
          logger.warn('Run was interrupted: reported as FAILURE (onInterrupted: fail)', {
            previousOwner: interrupted.owner,
            attempt: claim.attempt,
          });
          return finish(claim, interruptedReport(run.runId, interrupted), 'interrupted', logger);
        }
        logger.warn('Run was interrupted: running it again (onInterrupted: rerun)', {
          previousOwner: interrupted.owner,
          attempt: claim.attempt,
        });
      }

      if (!action) {
        const summary = `No handler for action "${run.action}" is registered in this backend (${options.functionName})`;
        logger.warn('Unknown action: run reported as FAILURE');
        return finish(claim, fail(run.runId, summary, summary), 'unknown-action', logger);
      }

      try {
        await options.port.addRunLog(run.runId, {
          message: `Picked up by ${options.functionName} from ${record.topic}-${record.partition} at offset ${record.offset}${
            interrupted ? ` (attempt ${claim.attempt}: the previous attempt was interrupted)` : ''
          }`,
        });
      } catch (error) {
        if (isRetryable(error)) return releaseAndThrow(claim, error, logger);
        const summary = `Port refused the run's pickup log line, so the action was not started: ${errorText(error)}`;
        logger.warn('Port refused the pickup log: run reported as FAILURE', { error: errorText(error) });
        return finish(claim, fail(run.runId, summary, summary), 'port-refused', logger);
      }

      const inputs = action.inputs.safeParse(run.inputs);
      if (!inputs.success) {
        const detail = describeIssues(inputs.error);
        logger.warn('Invalid inputs: run reported as FAILURE', { detail });
        return finish(
          claim,
          fail(run.runId, `Invalid inputs: ${detail}`, `The run's inputs do not match the action: ${detail}`),
          'invalid-inputs',
          logger
        );
      }

      const startedAt = now();
      const budgetMs = Math.max(0, remainingAtAccept - (startedAt - acceptedAt) - options.deadlineMarginMs);
      const controller = new AbortController();
      const links: string[] = [];
      const secrets = new Set<string>();
      let closed = false;
      const open = () => {
        if (closed) throw new RunClosedError(run.runId);
      };
      const patch = async (body: RunPatch) => {
        open();
        await options.port.updateRun(run.runId, scrubPatch(body, secrets));
      };
      const context: RunContext = {
        runId: run.runId,
        logger,
        port: options.port,
        signal: controller.signal,
        remainingTimeMs: () => Math.max(0, budgetMs - (now() - startedAt)),
        log: async (message) => {
          open();
          await options.port.addRunLog(run.runId, { message: scrub(message, secrets) });
        },
        setStatusLabel: (statusLabel) => patch({ statusLabel }),
        addLink: async (url) => {
          links.push(url);
          // Port overwrites `link` on every patch, so send the whole list.
          await patch({ link: [...links] });
        },
        setExternalRunId: (externalRunId) => patch({ externalRunId }),
        upsertEntity: async (blueprint, entity) => {
          open();
          return options.port.upsertEntity(blueprint, entity, { runId: run.runId });
        },
        decrypt: async (inputName) => {
          if (!run.encryptedInputs.includes(inputName)) {
            throw new SecretInputError(`Input "${inputName}" is not one of the run's encrypted inputs`);
          }
          const value = run.inputs[inputName];
          if (typeof value !== 'string') throw new SecretInputError(`Encrypted input "${inputName}" is not a string`);
          // The action's secretInput declaration says which of Port's two formats this is.
          const plain = await decryptRunSecret(value, declaredSecret(action.inputs, inputName)?.encryption, {
            clientSecret: async () => (await options.credentials()).clientSecret,
            privateKey: secretInputsKey,
          });
          secrets.add(plain);
          return plain;
        },
      };

      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<{ kind: 'timeout' }>((resolve) => {
        timer = setTimeout(() => resolve({ kind: 'timeout' }), Math.min(budgetMs, MAX_TIMER_MS));
      });
      const outcome = await Promise.race([
        action
          .handler(
            {
              runId: run.runId,
              action: run.action,
              inputs: inputs.data,
              entity: run.entity,
              entityIdentifier: run.entityIdentifier,
              blueprint: run.blueprint,
              trigger: run.trigger,
              format: run.format,
              ...(run.event !== undefined ? { event: run.event } : {}),
            },
            context
          )
          .then(
            (result) => ({ kind: 'ok' as const, result: result ?? {} }),
            (error: unknown) => ({ kind: 'error' as const, error })
          ),
        timedOut,
      ]);
      clearTimeout(timer);
      closed = true;
      const seconds = ((now() - startedAt) / 1000).toFixed(1);

      if (outcome.kind === 'timeout') {
        controller.abort(new RunTimeoutError('the Lambda deadline is near'));
        const summary = `Timed out after ${seconds} s: the function's deadline was near, so the run was stopped`;
        logger.error('Run timed out: reported as FAILURE');
        return finish(claim, fail(run.runId, summary, summary), 'timed-out', logger);
      }
      if (outcome.kind === 'error') {
        const error = outcome.error;
        const message = scrub(error instanceof Error ? error.message : String(error), secrets);
        const name = error instanceof Error && error.name !== 'Error' ? `${error.name}: ` : '';
        // A failed context call (a log line, an upsert) lands here too unless the
        // handler caught it: its error is the run's reason.
        logger.warn('Action handler failed: run reported as FAILURE', { error: clip(`${name}${message}`, 300) });
        return finish(
          claim,
          fail(run.runId, `${action.identifier} failed: ${message}`, `Failed after ${seconds} s: ${name}${message}`),
          'handler-error',
          logger
        );
      }

      const result = outcome.result;
      const allLinks = [...links, ...asLinks(result.link).filter((l) => !links.includes(l))];
      const reported = await finish(
        claim,
        {
          runId: run.runId,
          patch: scrubPatch(
            {
              status: 'SUCCESS',
              summary: clip(result.summary ?? `${action.identifier} succeeded in ${seconds} s`),
              ...(allLinks.length ? { link: allLinks } : {}),
              ...(result.statusLabel ? { statusLabel: result.statusLabel } : {}),
              ...(result.externalRunId ? { externalRunId: result.externalRunId } : {}),
            },
            secrets
          ),
        },
        'succeeded',
        logger
      );
      if (reported.reason === 'succeeded') logger.info('Run succeeded', { durationMs: now() - startedAt });
      return reported;
    },
  };
};

export type { FinalReport, RunExecution, RunExecutor, RunExecutorOptions, RunResult };
export { CLAIM_GRACE_MS, createRunExecutor, INTERRUPTED_SUMMARY };
