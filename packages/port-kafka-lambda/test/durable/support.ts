import { type DurableLambdaHandler, InvocationStatus, withDurableExecution } from '@aws/durable-execution-sdk-js';
import { Logger } from '@aws-lambda-powertools/logger';
import type { ActionDefinition } from '../../src/actions/define.js';
import { createDurableRunHandler, type DurableExecutorOptions } from '../../src/durable/executor.js';
import type { DurableRunPayload } from '../../src/durable/payload.js';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator } from '../../src/emulator/index.js';
import { normalizeRun } from '../../src/messages/normalize.js';
import { createPortClient } from '../../src/port/client.js';
import type { RunLedger } from '../../src/runs/ledger/ledger.js';
import { MemoryRunLedger } from '../../src/runs/ledger/memory.js';
import { RUNS_TOPIC, v1Run } from '../../src/testing/factories.js';

let seq = 0;

/** A fresh run id in Port's alphabet. */
const newRunId = (prefix = 'dur') => `r_${prefix}${++seq}${Math.random().toString(36).slice(2, 8)}`;

/** The payload the dispatcher would send for a v1 run of `action`. */
const payloadFor = (
  runId: string,
  action: string,
  inputs: Record<string, unknown> = {},
  extra: Partial<DurableRunPayload> = {}
): DurableRunPayload => {
  const normalized = normalizeRun(v1Run(action, inputs, runId));
  if (!normalized.ok) throw new Error(`test message does not normalize: ${normalized.detail}`);
  return {
    v: 1,
    run: normalized.value,
    record: { topic: RUNS_TOPIC, partition: 0, offset: 7 },
    acceptedAt: Date.now(),
    attempt: 1,
    ...extra,
  };
};

const silentLogger = () => new Logger({ serviceName: 'test', logLevel: 'SILENT' });

/** The executor as AWS runs it (withDurableExecution), against the emulator and a memory ledger. */
const durableExecutor = (
  emulator: PortEmulator,
  actions: readonly ActionDefinition[],
  extra: Partial<DurableExecutorOptions> & { ledger?: RunLedger } = {}
): DurableLambdaHandler => {
  const credentials = async () => ({ ...DEFAULT_EMULATOR_CLIENT });
  return withDurableExecution(
    createDurableRunHandler({
      actions,
      port: createPortClient({
        baseUrl: emulator.url,
        credentials,
        timeoutMs: 2_000,
        retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 10, budgetMs: 500 },
      }),
      credentials,
      logger: silentLogger(),
      ledger: extra.ledger ?? new MemoryRunLedger(),
      functionName: 'run-executor-test',
      ...extra,
    })
  );
};

/**
 * Simulates the executor's sandbox dying mid-step: the first invocation answers
 * PENDING once `started` resolves (the step has begun), abandoning the step's
 * promise as a crash would; later invocations run normally. The durable SDK's
 * local runner cannot kill an invocation, so this is how a crash reaches it.
 */
const crashOnce = (handler: DurableLambdaHandler, started: Promise<void>): DurableLambdaHandler => {
  let first = true;
  return async (event, context) => {
    if (!first) return handler(event, context);
    first = false;
    void handler(event, context).catch(() => undefined);
    await started;
    // Let the step's START checkpoint (at-most-once) leave before the "crash".
    await new Promise((resolve) => setImmediate(resolve));
    return { Status: InvocationStatus.PENDING };
  };
};

export { crashOnce, durableExecutor, newRunId, payloadFor, silentLogger };
