import type { Logger } from '@aws-lambda-powertools/logger';
import type { ActionDefinition, ActionResult } from '../actions/define.js';
import type { RecordCoordinates } from '../kafka/decode.js';
import { describeIssues } from '../messages/normalize.js';
import type { RunRequest } from '../messages/run-request.js';
import type { PortClient } from '../port/client.js';
import type { PortCredentials } from '../port/credentials.js';
import { decryptSecretInput } from '../port/crypto.js';
import { PortApiError } from '../port/errors.js';
import { isEndedStatus, type RunPatch } from '../port/types.js';
import type { RunContext } from './context.js';
import { type Deadline, MAX_TIMER_MS } from './deadline.js';
import { DeadlineError, isRetryable, RunClosedError, RunTimeoutError, SecretInputError } from './errors.js';

/** The last thing Port hears about a run: an optional final log line, then the status patch. */
interface FinalReport {
  runId: string;
  log?: string;
  logSent?: boolean;
  patch: RunPatch & { status: 'SUCCESS' | 'FAILURE' };
}

/** What happened to one run, as the batch sees it. */
interface RunResult {
  status: 'SUCCESS' | 'FAILURE' | 'skipped';
  /** Why: `succeeded`, `handler-error`, `invalid-inputs`, `timed-out`, `unknown-action`, `already-ended`, `run-not-found`, `report-resent`. */
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
  /** Executes and reports one run. Throws a retryable error when Port cannot be reached. */
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
   * Reports that ran but could not be delivered, by run id. Keep one map per
   * container: when the event source mapping retries the batch, the run is
   * reported again instead of executed again.
   */
  pendingReports?: Map<string, FinalReport>;
  now?: () => number;
}

const MAX_SUMMARY = 1000;

const clip = (text: string, max = MAX_SUMMARY): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

const asLinks = (link: ActionResult['link']): string[] =>
  link === undefined ? [] : typeof link === 'string' ? [link] : [...link];

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

const isNotFound = (error: unknown): boolean => error instanceof PortApiError && error.status === 404;

/**
 * The run lifecycle: check Port's view of the run (so a redelivered, already
 * finished run is never executed twice), say it was picked up, validate the
 * inputs, run the handler against the Lambda deadline, and report SUCCESS or
 * FAILURE with a summary, links and a final log.
 */
const createRunExecutor = (options: RunExecutorOptions): RunExecutor => {
  const pending = options.pendingReports ?? new Map<string, FinalReport>();
  const now = options.now ?? Date.now;

  const deliver = async (report: FinalReport, logger: Logger): Promise<void> => {
    try {
      if (report.log && !report.logSent) {
        await options.port.addRunLog(report.runId, { message: report.log });
        report.logSent = true;
      }
      await options.port.updateRun(report.runId, report.patch);
      pending.delete(report.runId);
    } catch (error) {
      if (error instanceof PortApiError && error.status === 422) {
        // Port refuses to end a run twice. If it has ended, an earlier attempt
        // got through and only its answer was lost: the report is delivered.
        const current = await options.port.getRun(report.runId).catch(() => undefined);
        if (current && isEndedStatus(current.status)) {
          pending.delete(report.runId);
          logger.warn('Run had already ended in Port; final report not sent again', { status: current.status });
          return;
        }
      }
      if (isRetryable(error)) {
        pending.set(report.runId, report);
        logger.error('Could not report the run to Port; it will be reported when the batch is retried', {
          error: error instanceof Error ? error.message : String(error),
        });
      }
      throw error;
    }
  };

  const fail = (runId: string, summary: string, log: string): FinalReport => ({
    runId,
    log,
    patch: { status: 'FAILURE', summary: clip(summary) },
  });

  return {
    async execute({ run, action, record, deadline }) {
      const logger = options.logger.createChild({
        persistentKeys: {
          runId: run.runId,
          action: run.action,
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
        },
      });

      const resend = pending.get(run.runId);
      if (resend) {
        await deliver(resend, logger);
        logger.info('Delivered the report of a run executed by an earlier attempt', { status: resend.patch.status });
        return { status: resend.patch.status, reason: 'report-resent' };
      }

      // The run's time budget is fixed here, when it is accepted: a deadline pulled in later
      // (the consumer draining on SIGTERM) stops new runs, not this one.
      const acceptedAt = now();
      const remainingAtAccept = deadline.remainingMs();
      if (remainingAtAccept < options.startMinRemainingMs) {
        throw new DeadlineError(
          `Only ${remainingAtAccept} ms left before the Lambda deadline; run ${run.runId} is left for the retry`
        );
      }

      let status: string;
      try {
        status = (await options.port.getRun(run.runId)).status;
      } catch (error) {
        if (!isNotFound(error)) throw error;
        logger.warn('Run does not exist in Port; skipped (was it sent by another org or deleted?)');
        return { status: 'skipped', reason: 'run-not-found' };
      }
      if (isEndedStatus(status)) {
        logger.info('Run already ended in Port; not executed again', { status });
        return { status: 'skipped', reason: 'already-ended' };
      }

      if (!action) {
        const summary = `No handler for action "${run.action}" is registered in this backend (${options.functionName})`;
        await deliver(fail(run.runId, summary, summary), logger);
        logger.warn('Unknown action: run reported as FAILURE');
        return { status: 'FAILURE', reason: 'unknown-action' };
      }

      await options.port.addRunLog(run.runId, {
        message: `Picked up by ${options.functionName} from ${record.topic}-${record.partition} at offset ${record.offset}`,
      });

      const inputs = action.inputs.safeParse(run.inputs);
      if (!inputs.success) {
        const detail = describeIssues(inputs.error);
        await deliver(fail(run.runId, `Invalid inputs: ${detail}`, `The run's inputs do not match the action: ${detail}`), logger);
        logger.warn('Invalid inputs: run reported as FAILURE', { detail });
        return { status: 'FAILURE', reason: 'invalid-inputs' };
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
          const plain = decryptSecretInput(value, (await options.credentials()).clientSecret);
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
        await deliver(fail(run.runId, summary, summary), logger);
        logger.error('Run timed out: reported as FAILURE');
        return { status: 'FAILURE', reason: 'timed-out' };
      }
      if (outcome.kind === 'error') {
        const error = outcome.error;
        const message = scrub(error instanceof Error ? error.message : String(error), secrets);
        const name = error instanceof Error && error.name !== 'Error' ? `${error.name}: ` : '';
        await deliver(
          fail(run.runId, `${action.identifier} failed: ${message}`, `Failed after ${seconds} s: ${name}${message}`),
          logger
        );
        logger.warn('Action handler failed: run reported as FAILURE', { error: clip(`${name}${message}`, 300) });
        return { status: 'FAILURE', reason: 'handler-error' };
      }

      const result = outcome.result;
      const allLinks = [...links, ...asLinks(result.link).filter((l) => !links.includes(l))];
      await deliver(
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
        logger
      );
      logger.info('Run succeeded', { durationMs: now() - startedAt });
      return { status: 'SUCCESS', reason: 'succeeded' };
    },
  };
};

export type { FinalReport, RunExecution, RunExecutor, RunExecutorOptions, RunResult };
export { createRunExecutor };
