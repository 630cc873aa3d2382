import { AsyncLocalStorage } from 'node:async_hooks';
import type { KeyObject } from 'node:crypto';
import { type DurableContext, type RetryDecision, StepSemantics } from '@aws/durable-execution-sdk-js';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ActionDefinition, ActionResult } from '../actions/define.js';
import { declaredSecret } from '../actions/inputs.js';
import { createActionRegistry } from '../actions/registry.js';
import { describeIssues } from '../messages/normalize.js';
import type { PortClient } from '../port/client.js';
import type { PortCredentials } from '../port/credentials.js';
import { createSecretInputsKeyLoader } from '../port/secret-inputs-key.js';
import { isEndedStatus, type RunPatch } from '../port/types.js';
import { isRetryable, RunClosedError, RunNotEndedError, RunTimeoutError, SecretInputError } from '../runs/errors.js';
import type { RunResult } from '../runs/execute.js';
import { entryState, type FinalReport, type LedgerEntry, type RunLedger, RunLedgerError } from '../runs/ledger/ledger.js';
import { clip, createReporter, errorText, failureReport, INTERRUPTED_SUMMARY, interruptedReport, isNotFound } from '../runs/report.js';
import { decryptRunSecret } from '../runs/secret-inputs.js';
import {
  type DurableRunContext,
  DurableRunPayloadError,
  type DurableStepOptions,
  type WaitUntilOptions,
  WaitUntilTimeoutError,
} from './context.js';
import { type DurationInput, durationMs, formatDuration, sdkDuration } from './duration.js';
import { DurableRunPayload, executionName, executionOwner } from './payload.js';
import { DEFAULT_EXECUTION_TIMEOUT_MS, timeLimitMs } from './time.js';

interface DurableExecutorOptions {
  actions: readonly ActionDefinition[];
  port: PortClient;
  credentials: () => Promise<PortCredentials>;
  logger: Logger;
  ledger: RunLedger;
  /** Named in the "picked up" log line. */
  functionName: string;
  /** This executor's execution timeout (durableConfig); caps every run's time limit. Default 24 h. */
  executionTimeoutMs?: number;
  /**
   * Local runs only: waits and poll intervals last this fraction of their
   * duration (0.01 runs a 20-minute wait in 12 s). The run's time limit still
   * counts them in full, so a run times out as it would in AWS.
   */
  waitScale?: number;
  secretInputsKey?: () => Promise<KeyObject>;
  now?: () => number;
}

/** What an execution returns: the run's outcome, as the Kafka handler reports inline runs. */
type DurableRunResult = RunResult;

type DurableRunHandler = (event: unknown, sdk: DurableContext) => Promise<DurableRunResult>;

/** Lifecycle steps (claim, status, log lines, the report) retry what Port or DynamoDB may get past later. */
const LIFECYCLE_ATTEMPTS = 12;
const lifecycleRetry = (error: Error, attempt: number): RetryDecision =>
  isRetryable(error) && attempt < LIFECYCLE_ATTEMPTS
    ? { shouldRetry: true, delay: { seconds: Math.min(300, 2 ** attempt) } }
    : { shouldRetry: false };

const asLinks = (link: ActionResult['link']): string[] => (link === undefined ? [] : typeof link === 'string' ? [link] : [...link]);

const scrub = (text: string, secrets: ReadonlySet<string>): string => {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('[REDACTED]');
  return out;
};

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
 * The name of what went wrong. A failed step reaches the handler as the SDK's
 * StepError, and after a replay rebuilt from its checkpoint, so the original
 * error survives only as `cause.name` and the message.
 */
const failureName = (error: unknown): string | undefined => {
  if (!(error instanceof Error)) return undefined;
  const cause = (error as { cause?: unknown }).cause;
  if ((error.name === 'StepError' || error.name === 'WaitForConditionError') && cause instanceof Error) return cause.name;
  return error.name;
};

/** The SDK's own errors (non-determinism, a failed checkpoint) end the invocation; they are not the action's failure. */
const isSdkFault = (error: unknown): boolean => error instanceof Error && (error as { isUnrecoverable?: unknown }).isUnrecoverable === true;

type ClaimStep =
  | { kind: 'claimed'; entry: LedgerEntry; interrupted?: LedgerEntry }
  | { kind: 'ledger-error'; message: string }
  | { kind: 'delivered' }
  | { kind: 'reported'; report: FinalReport }
  | { kind: 'held'; owner: string };

type StatusStep = { kind: 'open' } | { kind: 'ended'; status: string } | { kind: 'not-found' } | { kind: 'refused'; error: string };

type ReportStep = DurableRunResult | { status: 'not-ended'; reason: 'run-not-ended'; error: string };

/** Where the run's code is: inside a step's function (Port calls go straight out) or in the handler body (they become steps). */
const inStep = new AsyncLocalStorage<true>();

/**
 * The run executor: the same lifecycle as an inline run (claim, status check,
 * pickup log, input validation, the action, the final report), each part a
 * checkpointed step of a durable execution, so a replay after a wait or a
 * crash resumes where it stopped and the final report is sent once.
 *
 * Time is counted without reading the clock outside steps (a replay must take
 * the same path): the run's clock moves to each step's checkpointed end time
 * and forward by each wait, and the run is reported FAILURE "timed out" when
 * an operation would start past its limit, when a wait would end past it, or
 * when a step is still running at it.
 */
const createDurableRunHandler = (options: DurableExecutorOptions): DurableRunHandler => {
  const now = options.now ?? (() => Date.now());
  const registry = createActionRegistry(options.actions);
  const { ledger, port } = options;
  const executionTimeoutMs = options.executionTimeoutMs ?? DEFAULT_EXECUTION_TIMEOUT_MS;
  const scale = options.waitScale ?? 1;
  const secretInputsKey = options.secretInputsKey ?? createSecretInputsKeyLoader();
  const { deliver } = createReporter({ port, ledger });

  return async (event, sdk) => {
    const parsed = DurableRunPayload.safeParse(event);
    if (!parsed.success) {
      options.logger.error('Not a durable run payload; nothing to execute', { detail: describeIssues(parsed.error) });
      throw new DurableRunPayloadError(`Not a durable run payload: ${describeIssues(parsed.error)}`, { cause: parsed.error });
    }
    const { run, record, acceptedAt, attempt } = parsed.data;
    const name = executionName(run.runId, attempt);
    const owner = executionOwner(executionName(run.runId));
    const logger = options.logger.createChild({
      persistentKeys: {
        runId: run.runId,
        action: run.action,
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        execution: name,
      },
    });
    const action = registry.resolve(run.action, run.blueprint);
    const limitMs = timeLimitMs(action, executionTimeoutMs);
    const deadline = acceptedAt + limitMs;
    /** The run's clock: only ever moved by checkpointed times and wait durations, so replays agree. */
    let clock = acceptedAt;
    const advance = (at: number) => {
      clock = Math.max(clock, at);
    };

    /** A lifecycle step: Port or the ledger, retried while they are unreachable. */
    const lifecycle = async <T>(stepName: string, fn: () => Promise<T>): Promise<T> => {
      const out = await sdk.step(stepName, async () => ({ value: await inStep.run(true, fn), at: now() }), {
        retryStrategy: lifecycleRetry,
      });
      advance(out.at);
      return out.value;
    };

    let claim: LedgerEntry | undefined;

    const report = async (finalReport: FinalReport, reason: string): Promise<DurableRunResult> => {
      const held = claim;
      const outcome = await lifecycle<ReportStep>('report', async () => {
        if (held) {
          let stored: boolean | undefined;
          try {
            stored = await ledger.storeResult(run.runId, held.owner, finalReport);
          } catch (error) {
            if (isRetryable(error)) throw error;
            logger.error('Could not store the final report in the run ledger; sending it anyway', { error: errorText(error) });
          }
          if (stored === false) {
            logger.warn('Another attempt took this run over; it reports the run, this result is dropped', {
              status: finalReport.patch.status,
            });
            return { status: 'skipped', reason: 'claim-lost' };
          }
        }
        let delivery;
        try {
          delivery = await deliver(finalReport, held, logger);
        } catch (error) {
          if (error instanceof RunNotEndedError) return { status: 'not-ended', reason: 'run-not-ended', error: error.message };
          throw error;
        }
        await ledger.markDelivered(run.runId).catch((error: unknown) => {
          logger.warn('Could not mark the run delivered in the run ledger', { error: errorText(error) });
        });
        if (delivery.kind === 'not-found') return { status: 'skipped', reason: 'run-not-found' };
        if (delivery.kind === 'refused') return { status: 'FAILURE', reason: 'report-refused' };
        return { status: finalReport.patch.status, reason };
      });
      // Left IN_PROGRESS in Port: the execution fails, which the stack's alarm on failed executions sees.
      if (outcome.status === 'not-ended') throw new RunNotEndedError(run.runId, new Error(outcome.error));
      return outcome;
    };

    const fail = (summary: string, log: string, reason: string) => report(failureReport(run.runId, summary, log), reason);

    // 1. Claim: the dispatcher claimed the run for this execution; a run started
    //    without one (a local run) is claimed here.
    const claimed = await lifecycle<ClaimStep>('claim', async () => {
      try {
        const out = await ledger.claim(run.runId, {
          owner,
          expiresAt: acceptedAt + executionTimeoutMs + 60_000,
          action: action?.identifier ?? run.action,
          policy: action?.onInterrupted ?? 'fail',
          record: { topic: record.topic, partition: record.partition, offset: record.offset },
        });
        if (out.claimed)
          return out.interrupted
            ? { kind: 'claimed', entry: out.entry, interrupted: out.interrupted }
            : { kind: 'claimed', entry: out.entry };
        switch (entryState(out.entry, now())) {
          case 'delivered':
            return { kind: 'delivered' };
          case 'reported':
            return { kind: 'reported', report: out.entry.report as FinalReport };
          default:
            return out.entry.owner === owner ? { kind: 'claimed', entry: out.entry } : { kind: 'held', owner: out.entry.owner };
        }
      } catch (error) {
        if (error instanceof RunLedgerError && !error.retryable) return { kind: 'ledger-error', message: error.message };
        throw error;
      }
    });
    switch (claimed.kind) {
      case 'ledger-error': {
        const summary = `The backend could not record the run in its run ledger, so it did not start it: ${claimed.message}`;
        return fail(summary, summary, 'ledger-error');
      }
      case 'delivered':
        return { status: 'skipped', reason: 'already-ended' };
      case 'reported':
        // Stored by an earlier attempt and maybe not delivered: sent again, never executed again.
        return report(claimed.report, 'report-resent');
      case 'held':
        logger.warn('Run is held by another attempt; this execution leaves it', { owner: claimed.owner });
        return { status: 'skipped', reason: 'held-elsewhere' };
      default:
        claim = claimed.entry;
    }
    if (claimed.interrupted && claim.policy === 'fail') {
      return report(interruptedReport(run.runId, claimed.interrupted), 'interrupted');
    }

    // 2. Port's view: a run that ended is never executed again.
    const status = await lifecycle<StatusStep>('status', async () => {
      try {
        const current = await port.getRun(run.runId);
        return isEndedStatus(current.status) ? { kind: 'ended', status: current.status } : { kind: 'open' };
      } catch (error) {
        if (isNotFound(error)) return { kind: 'not-found' };
        if (isRetryable(error)) throw error;
        return { kind: 'refused', error: errorText(error) };
      }
    });
    if (status.kind === 'not-found') {
      const held = claim;
      await lifecycle('release', () => ledger.release(held).catch(() => undefined));
      return { status: 'skipped', reason: 'run-not-found' };
    }
    if (status.kind === 'ended') {
      await lifecycle('settle', () => ledger.markDelivered(run.runId).catch(() => undefined));
      return { status: 'skipped', reason: 'already-ended' };
    }
    if (status.kind === 'refused') {
      const summary = `Port refused this backend's status check of the run, so it was not started: ${status.error}`;
      return fail(summary, summary, 'port-refused');
    }
    if (!action) {
      const summary = `No handler for action "${run.action}" is registered in this backend (${options.functionName})`;
      return fail(summary, summary, 'unknown-action');
    }

    // 3. Picked up.
    const pickup = `Picked up by ${options.functionName} (durable execution ${name}) from ${record.topic}-${record.partition} at offset ${record.offset}${
      claim.attempt > 1 ? ` (attempt ${claim.attempt}: the previous attempt was interrupted)` : ''
    }; time limit ${formatDuration(limitMs)}`;
    const picked = await lifecycle('pickup', async () => {
      try {
        await port.addRunLog(run.runId, { message: pickup });
        return { ok: true as const };
      } catch (error) {
        if (isRetryable(error)) throw error;
        return { ok: false as const, error: errorText(error) };
      }
    });
    if (!picked.ok) {
      const summary = `Port refused the run's pickup log line, so the action was not started: ${picked.error}`;
      return fail(summary, summary, 'port-refused');
    }

    // 4. Inputs. The verdict is checkpointed; the parsed value is not (it need not survive JSON)
    //    and is parsed again on every replay, with the same code and the same inputs.
    const verdict = await lifecycle('validate', async () => {
      const result = action.inputs.safeParse(run.inputs);
      return result.success ? { ok: true as const } : { ok: false as const, detail: describeIssues(result.error) };
    });
    const inputs = action.inputs.safeParse(run.inputs);
    if (!verdict.ok || !inputs.success) {
      const detail = verdict.ok ? 'the inputs no longer parse as they did' : verdict.detail;
      return fail(`Invalid inputs: ${detail}`, `The run's inputs do not match the action: ${detail}`, 'invalid-inputs');
    }

    // 5. The action, with the durable context.
    const secrets = new Set<string>();
    const links: string[] = [];
    let closed = false;
    const open = () => {
      if (closed) throw new RunClosedError(run.runId);
    };
    const controller = new AbortController();
    const remaining = () => Math.max(0, deadline - Math.max(clock, now()));
    const overdue = () => new RunTimeoutError(`the run passed its time limit of ${formatDuration(limitMs)}`);
    const checkTime = () => {
      if (clock >= deadline) throw overdue();
    };
    // A step running when the limit comes is cut off (the signal tells long calls); per invocation, unref'd.
    const timer = setTimeout(() => controller.abort(overdue()), Math.max(0, Math.min(remaining(), 2_147_483_647)));
    timer.unref?.();

    /** Port calls from the handler body become steps, so a replay does not repeat them; inside a step they are plain calls. */
    const effect = async <T>(stepName: string, fn: () => Promise<T>): Promise<T> => {
      open();
      if (inStep.getStore()) return fn();
      return lifecycle(stepName, fn);
    };
    const patch = (stepName: string, body: RunPatch) => effect(stepName, () => port.updateRun(run.runId, scrubPatch(body, secrets)));

    const policy = action.onInterrupted ?? 'fail';
    const semantics = policy === 'fail' ? StepSemantics.AtMostOncePerRetry : StepSemantics.AtLeastOncePerRetry;

    const step = async <T>(stepName: string, fn: () => Promise<T>, stepOptions: DurableStepOptions = {}): Promise<T> => {
      open();
      checkTime();
      const retries = stepOptions.retries ?? 0;
      const baseDelayMs = stepOptions.retryDelay === undefined ? 10_000 : durationMs(stepOptions.retryDelay);
      const out = await sdk.step(
        stepName,
        async () => {
          const left = remaining();
          if (left <= 0) throw overdue();
          let cut: NodeJS.Timeout | undefined;
          const limit = new Promise<never>((_, reject) => {
            cut = setTimeout(() => reject(overdue()), Math.min(left, 2_147_483_647));
          });
          try {
            const value = await Promise.race([inStep.run(true, fn), limit]);
            return { value, at: now() };
          } finally {
            clearTimeout(cut);
          }
        },
        {
          semantics,
          // An interrupted attempt under 'fail', and a timed-out one, are never retried.
          retryStrategy: (error, attemptCount) =>
            error.name === 'RunTimeoutError' || error.name === 'StepInterruptedError' || attemptCount > retries
              ? { shouldRetry: false }
              : { shouldRetry: true, delay: sdkDuration(baseDelayMs * 2 ** (attemptCount - 1) * scale) },
        }
      );
      advance(out.at);
      return out.value;
    };

    const wait = async (first: string | DurationInput, second?: DurationInput): Promise<void> => {
      open();
      checkTime();
      const [waitName, duration] = second === undefined ? [undefined, first as DurationInput] : [first as string, second];
      const ms = durationMs(duration);
      if (clock + ms > deadline) {
        throw new RunTimeoutError(
          `waiting ${formatDuration(ms)} would pass the run's time limit of ${formatDuration(limitMs)} (${formatDuration(deadline - clock)} left)`
        );
      }
      await sdk.wait(waitName ?? `wait ${formatDuration(ms)}`, sdkDuration(ms * scale));
      clock += ms;
    };

    const waitUntil = async <T>(
      pollName: string,
      check: (attempt: number) => Promise<T | undefined>,
      pollOptions: WaitUntilOptions
    ): Promise<T> => {
      open();
      checkTime();
      const intervalMs = durationMs(pollOptions.interval);
      const ownTimeoutMs = pollOptions.timeout === undefined ? Infinity : durationMs(pollOptions.timeout);
      const leftMs = deadline - clock;
      const budgetMs = Math.min(ownTimeoutMs, leftMs);
      type Poll = { done: boolean; value?: T; checks: number; firstAt: number; lastAt: number };
      // Real time between checks shrinks under waitScale; the run counts the intervals in full.
      const spent = (p: Poll) => Math.max(p.lastAt - p.firstAt, (p.checks - 1) * intervalMs);
      const final = await sdk.waitForCondition<Poll>(
        pollName,
        async (state) => {
          const startedAt = now();
          const value = await inStep.run(true, () => check(state.checks + 1));
          return {
            done: value !== undefined,
            ...(value === undefined ? {} : { value }),
            checks: state.checks + 1,
            firstAt: state.checks === 0 ? startedAt : state.firstAt,
            lastAt: now(),
          };
        },
        {
          initialState: { done: false, checks: 0, firstAt: 0, lastAt: 0 },
          waitStrategy: (state) =>
            state.done || spent(state) + intervalMs > budgetMs
              ? { shouldContinue: false }
              : { shouldContinue: true, delay: sdkDuration(intervalMs * scale) },
        }
      );
      clock += spent(final);
      advance(final.lastAt);
      if (final.done) return final.value as T;
      if (budgetMs < ownTimeoutMs) throw overdue();
      throw new WaitUntilTimeoutError(pollName, ownTimeoutMs, final.checks);
    };

    const context: DurableRunContext = {
      runId: run.runId,
      logger,
      port,
      signal: controller.signal,
      remainingTimeMs: remaining,
      log: (message) => effect('log', () => port.addRunLog(run.runId, { message: scrub(message, secrets) })),
      setStatusLabel: async (statusLabel) => {
        await patch('status label', { statusLabel });
      },
      addLink: async (url) => {
        // Outside the step: a replay rebuilds the list, and Port wants all links on every patch.
        links.push(url);
        const all = [...links];
        await patch('link', { link: all });
      },
      setExternalRunId: async (externalRunId) => {
        await patch('external run id', { externalRunId });
      },
      upsertEntity: (blueprint, entity) => effect(`upsert ${blueprint}`, () => port.upsertEntity(blueprint, entity, { runId: run.runId })),
      // Never a step: its result would be stored in the execution's history. It runs on every replay instead.
      decrypt: async (inputName) => {
        if (!run.encryptedInputs.includes(inputName))
          throw new SecretInputError(`Input "${inputName}" is not one of the run's encrypted inputs`);
        const value = run.inputs[inputName];
        if (typeof value !== 'string') throw new SecretInputError(`Encrypted input "${inputName}" is not a string`);
        const plain = await decryptRunSecret(value, declaredSecret(action.inputs, inputName)?.encryption, {
          clientSecret: async () => (await options.credentials()).clientSecret,
          privateKey: secretInputsKey,
        });
        secrets.add(plain);
        return plain;
      },
      step,
      wait,
      waitUntil,
      durable: sdk,
    };

    let outcome: { kind: 'ok'; result: ActionResult } | { kind: 'error'; error: unknown };
    try {
      const result = await action.handler(
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
      );
      outcome = { kind: 'ok', result: result ?? {} };
    } catch (error) {
      if (isSdkFault(error)) throw error;
      outcome = { kind: 'error', error };
    } finally {
      closed = true;
      clearTimeout(timer);
    }
    const took = formatDuration(Math.max(0, clock - acceptedAt));

    // 6. The final report.
    if (outcome.kind === 'error') {
      const error = outcome.error;
      const kind = failureName(error);
      if (kind === 'RunTimeoutError') {
        const why = scrub(error instanceof Error ? error.message : String(error), secrets);
        return fail(`Timed out after ${took}: ${why}`, `Timed out after ${took}: ${why}`, 'timed-out');
      }
      if (kind === 'StepInterruptedError') {
        return fail(
          INTERRUPTED_SUMMARY,
          `Interrupted: a step was cut off mid-way (the executor stopped) and the action does not declare onInterrupted: 'rerun', so it is not run again.`,
          'interrupted'
        );
      }
      const message = scrub(error instanceof Error ? error.message : String(error), secrets);
      const label = kind && kind !== 'Error' ? `${kind}: ` : '';
      logger.warn('Action handler failed: run reported as FAILURE', { error: clip(`${label}${message}`, 300) });
      return fail(`${action.identifier} failed: ${message}`, `Failed after ${took}: ${label}${message}`, 'handler-error');
    }
    const result = outcome.result;
    const allLinks = [...links, ...asLinks(result.link).filter((l) => !links.includes(l))];
    return report(
      {
        runId: run.runId,
        patch: scrubPatch(
          {
            status: 'SUCCESS',
            summary: clip(result.summary ?? `${action.identifier} succeeded in ${took}`),
            ...(allLinks.length ? { link: allLinks } : {}),
            ...(result.statusLabel ? { statusLabel: result.statusLabel } : {}),
            ...(result.externalRunId ? { externalRunId: result.externalRunId } : {}),
          },
          secrets
        ),
      },
      'succeeded'
    );
  };
};

export type { DurableExecutorOptions, DurableRunHandler, DurableRunResult };
export { createDurableRunHandler };
