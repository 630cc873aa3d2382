import type { KeyObject } from 'node:crypto';
import { withDurableExecution } from '@aws/durable-execution-sdk-js';
import type { ActionDefinition } from '../actions/define.js';
import { createActionRegistry } from '../actions/registry.js';
import type { PortCredentials } from '../port/credentials.js';
import type { RunResult } from '../runs/execute.js';
import type { LedgerEntry } from '../runs/ledger/ledger.js';
import { createReporter, errorText, failureReport } from '../runs/report.js';
import { createDurableDispatcher, type DurableRuns, type DurableRunsContext } from './dispatch.js';
import { createDurableRunHandler } from './executor.js';
import { executionName, executionOwner } from './payload.js';

/*
 * Durable runs in this process, for `npm run invoke`, the long-lived consumer
 * and the test harness: each execution runs under the durable SDK's local
 * runner (@aws/durable-execution-sdk-js-testing), which checkpoints in a worker
 * thread and replays the handler after every wait, as Lambda would. The
 * testing package is loaded on the first durable run, so a process with no
 * durable action never starts its worker.
 */

/** One operation of a finished execution, as `npm run invoke` prints it. */
interface ExecutionStep {
  name: string;
  /** STEP, WAIT, CONTEXT, CALLBACK, ... */
  type: string;
  /** Step, Wait, WaitForCondition, ... */
  subType: string | undefined;
  status: string;
  /** Attempts of a step; checks of a poll. */
  attempts?: number;
  waitSeconds?: number;
}

interface FinishedExecution {
  name: string;
  runId: string;
  /** SUCCEEDED or FAILED: the execution's own outcome (a run reported FAILURE is a SUCCEEDED execution). */
  status: string;
  result?: RunResult;
  error?: string;
  /** Handler invocations (1 + one per replay). */
  invocations: number;
  steps: ExecutionStep[];
}

interface LocalDurableOptions {
  actions: readonly ActionDefinition[];
  credentials: () => Promise<PortCredentials>;
  /** Named in the pickup log line. */
  functionName: string;
  /**
   * `await`: a record's handling waits for its execution to end, and its outcome
   * is the run's (invoke, tests). `background`: the record is done once the
   * execution started, which goes on beside later records (the consumer).
   */
  mode: 'await' | 'background';
  /** Skip waits entirely (the SDK's fake clock; the whole process's timers are faked while it is set up). */
  skipWaits?: boolean;
  /** Shorten waits to this fraction (real timers); the run's time limit still counts them in full. */
  waitScale?: number;
  executionTimeoutMs?: number;
  secretInputsKey?: () => Promise<KeyObject>;
  /** Is the run ledger shared with other processes (DynamoDB)? Decides what shutdown does with unfinished runs. */
  sharedLedger?: boolean;
  onFinished?: (execution: FinishedExecution) => void;
}

type Testing = typeof import('@aws/durable-execution-sdk-js-testing');

/** One local checkpoint server per process; every user holds it until it closes. */
interface Environment {
  testing: Testing;
  users: number;
}
let environment: Promise<Environment> | undefined;

const acquireEnvironment = async (skipWaits: boolean): Promise<Testing> => {
  environment ??= (async () => {
    const testing = await import('@aws/durable-execution-sdk-js-testing');
    await testing.LocalDurableTestRunner.setupTestEnvironment({ skipTime: skipWaits });
    return { testing, users: 0 };
  })();
  const env = await environment;
  env.users += 1;
  return env.testing;
};

const releaseEnvironment = async (): Promise<void> => {
  if (!environment) return;
  const pending = environment;
  const env = await pending;
  env.users -= 1;
  if (env.users > 0 || environment !== pending) return;
  environment = undefined;
  await env.testing.LocalDurableTestRunner.teardownTestEnvironment();
};

const describeSteps = (operations: readonly import('@aws/durable-execution-sdk-js-testing').DurableOperation[]): ExecutionStep[] =>
  operations.map((op) => {
    const type = String(op.getType() ?? '');
    const attempts = type === 'STEP' ? op.getStepDetails()?.attempt : undefined;
    const waitSeconds = type === 'WAIT' ? op.getWaitDetails()?.waitSeconds : undefined;
    return {
      name: op.getName() ?? '(unnamed)',
      type,
      subType: op.getSubType() === undefined ? undefined : String(op.getSubType()),
      status: String(op.getStatus() ?? ''),
      ...(attempts === undefined ? {} : { attempts }),
      ...(waitSeconds === undefined ? {} : { waitSeconds }),
    };
  });

/**
 * Durable runs in this process. Hand `durable` to the handler
 * (HandlerDependencies.durable); `drain` and `close` belong to shutdown.
 */
const createLocalDurableRuns = (options: LocalDurableOptions) => {
  const running = new Map<string, { promise: Promise<FinishedExecution>; runId: string; policy: 'fail' | 'rerun' }>();
  const finished: FinishedExecution[] = [];
  const registry = createActionRegistry(options.actions);
  let shared: DurableRunsContext | undefined;
  let acquired = 0;

  const execute = async (name: string, payload: unknown, context: DurableRunsContext): Promise<FinishedExecution> => {
    const testing = await acquireEnvironment(options.skipWaits === true);
    acquired += 1;
    const runId = (payload as { run: { runId: string } }).run.runId;
    try {
      const handler = withDurableExecution(
        createDurableRunHandler({
          actions: options.actions,
          port: context.port,
          credentials: options.credentials,
          logger: context.logger,
          ledger: context.ledger,
          functionName: options.functionName,
          ...(options.executionTimeoutMs === undefined ? {} : { executionTimeoutMs: options.executionTimeoutMs }),
          ...(options.waitScale === undefined ? {} : { waitScale: options.waitScale }),
          ...(options.secretInputsKey === undefined ? {} : { secretInputsKey: options.secretInputsKey }),
        })
      );
      const runner = new testing.LocalDurableTestRunner<RunResult>({ handlerFunction: handler });
      const outcome = await runner.run({ payload });
      const status = String(outcome.getStatus() ?? 'UNKNOWN');
      const base = { name, runId, status, invocations: outcome.getInvocations().length, steps: describeSteps(outcome.getOperations()) };
      const done: FinishedExecution =
        status === 'SUCCEEDED'
          ? { ...base, ...(outcome.getResult() === undefined ? {} : { result: outcome.getResult() as RunResult }) }
          : { ...base, error: outcome.getError().errorMessage ?? 'the execution failed' };
      if (done.error !== undefined) context.logger.error('Durable execution failed', { execution: name, error: done.error });
      return done;
    } catch (error) {
      context.logger.error('Durable execution could not run', { execution: name, error: errorText(error) });
      return { name, runId, status: 'FAILED', error: errorText(error), invocations: 0, steps: [] };
    }
  };

  const durable: DurableRuns = (context) => {
    shared = context;
    return createDurableDispatcher({
      ...context,
      ...(options.executionTimeoutMs === undefined ? {} : { executionTimeoutMs: options.executionTimeoutMs }),
      launch: async (name, payload) => {
        // The execution name is the idempotency key here too.
        if (running.has(name)) return { kind: 'already-started' };
        const action = registry.resolve(payload.run.action, payload.run.blueprint);
        const promise = execute(name, payload, context).then((done) => {
          finished.push(done);
          running.delete(name);
          options.onFinished?.(done);
          return done;
        });
        running.set(name, { promise, runId: payload.run.runId, policy: action?.onInterrupted ?? 'fail' });
        if (options.mode === 'background') return { kind: 'started' };
        const done = await promise;
        return { kind: 'finished', result: done.result ?? { status: 'FAILURE', reason: 'execution-failed' } };
      },
    });
  };

  /**
   * Ends, by their action's onInterrupted policy, the runs still executing when
   * the process must stop: 'fail' reports FAILURE now (nothing else would: the
   * record is committed); 'rerun' leaves the claim to lapse so the sweeper
   * redrives it, when the ledger is shared; without a shared ledger nothing
   * could, so it is reported FAILURE too.
   */
  const interrupt = async (names: readonly string[]): Promise<void> => {
    if (!shared) return;
    const { ledger, port, logger } = shared;
    const { deliver } = createReporter({ port, ledger });
    for (const name of names) {
      const entry = running.get(name);
      if (!entry) continue;
      if (entry.policy === 'rerun' && options.sharedLedger) {
        logger.warn('Stopping with a durable run in progress; its claim lapses and the sweeper runs it again (onInterrupted: rerun)', {
          execution: name,
        });
        continue;
      }
      const summary = 'interrupted: the consumer stopped while the run was in progress; not retried automatically';
      const report = failureReport(
        entry.runId,
        summary,
        `Interrupted: ${options.functionName} stopped while durable execution ${name} was in progress.`
      );
      const claim: LedgerEntry | undefined = await ledger.get(entry.runId).catch(() => undefined);
      try {
        if (claim?.owner === executionOwner(executionName(entry.runId))) await ledger.storeResult(entry.runId, claim.owner, report);
        await deliver(report, claim, logger);
        await ledger.markDelivered(entry.runId);
        logger.warn('Stopping with a durable run in progress: reported FAILURE', { execution: name });
      } catch (error) {
        logger.error('Could not report an interrupted durable run; it stays IN_PROGRESS in Port', {
          execution: name,
          error: errorText(error),
        });
      }
    }
  };

  return {
    durable,
    /** Executions that have ended, in the order they did. */
    finished,
    /** Names of executions still running. */
    inFlight: (): string[] => [...running.keys()],
    /** Waits up to `timeoutMs` for the executions in flight; returns the names still running. */
    async drain(timeoutMs: number): Promise<string[]> {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([Promise.all([...running.values()].map((r) => r.promise)), expired]);
      clearTimeout(timer);
      return [...running.keys()];
    },
    interrupt,
    /** Releases the local checkpoint server (the last user stops it). */
    async close(): Promise<void> {
      for (; acquired > 0; acquired -= 1) await releaseEnvironment();
    },
  };
};

type LocalDurableRuns = ReturnType<typeof createLocalDurableRuns>;

export type { ExecutionStep, FinishedExecution, LocalDurableOptions, LocalDurableRuns };
export { createLocalDurableRuns };
