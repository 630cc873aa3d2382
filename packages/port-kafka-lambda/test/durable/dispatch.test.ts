import { LocalDurableTestRunner } from '@aws/durable-execution-sdk-js-testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { defineAction } from '../../src/actions/define.js';
import { defineApp, type PortKafkaApp } from '../../src/app.js';
import type { BatchReport } from '../../src/batch/outcome.js';
import { loadConfig } from '../../src/config.js';
import { DurableRunPayload } from '../../src/durable/payload.js';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../../src/emulator/index.js';
import { createHandler } from '../../src/handler.js';
import { createLogger } from '../../src/logging/logger.js';
import type { RunLedger } from '../../src/runs/ledger/ledger.js';
import { MemoryRunLedger } from '../../src/runs/ledger/memory.js';
import { lambdaContext, ORG_ID, runsEvent, v1Run } from '../../src/testing/factories.js';
import { productionDependencies } from '../../src/wiring.js';
import { type LambdaInvokeServer, startLambdaInvokeServer } from '../helpers/lambda-invoke-server.js';
import { durableExecutor, newRunId } from './support.js';

/*
 * The Kafka handler as the dispatcher of durable runs, wired as production
 * wires it (wiring.ts): the Lambda client finds the loopback Invoke endpoint
 * through AWS_ENDPOINT_URL_LAMBDA and talks to it over real HTTP.
 */

const EXECUTOR = 'port-kafka-run-executor';

let lambda: LambdaInvokeServer;
let emulator: PortEmulator;
const saved: Record<string, string | undefined> = {};
const setEnv = (vars: Record<string, string | undefined>) => {
  for (const [k, v] of Object.entries(vars)) {
    if (!(k in saved)) saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
};

beforeAll(async () => {
  lambda = await startLambdaInvokeServer({ functions: [EXECUTOR] });
  setEnv({
    AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
    AWS_REGION: lambda.region,
    AWS_ACCESS_KEY_ID: lambda.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: lambda.credentials.secretAccessKey,
    PORT_CLIENT_ID: DEFAULT_EMULATOR_CLIENT.clientId,
    PORT_CLIENT_SECRET: DEFAULT_EMULATOR_CLIENT.clientSecret,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await lambda.close();
});
beforeEach(async () => {
  emulator = await startPortEmulator({ autoCreateRuns: false });
  lambda.requests.length = 0;
  lambda.faults.length = 0;
});
afterEach(() => emulator.close());

const executed: string[] = [];
const rollout = defineAction({
  identifier: 'rollout_long',
  durable: { timeout: '3h' },
  inputs: z.object({ version: z.string() }),
  async handler({ runId, inputs }, ctx) {
    // In a step: the handler's body runs again on every replay, a step's function once.
    await ctx.step('start', async () => {
      executed.push(runId);
    });
    await ctx.wait('bake', '20m');
    return { summary: `rolled out ${inputs.version}` };
  },
});
const quick = defineAction({
  identifier: 'quick',
  inputs: z.object({}),
  async handler() {
    return { summary: 'quick done' };
  },
});
const app = defineApp({ actions: [rollout, quick] });

/** A Kafka handler "container" as the stack deploys it: DURABLE_EXECUTOR_FUNCTION is the executor's alias. */
const container = (options: { ledger?: RunLedger; executor?: string | undefined; theApp?: PortKafkaApp } = {}) => {
  const env = {
    PORT_ORG_ID: ORG_ID,
    PORT_API_URL: emulator.url,
    DURABLE_EXECUTION_TIMEOUT_SECONDS: '86400',
    // A record left for a retry comes back as a batch item failure rather than a thrown batch.
    REPORT_BATCH_ITEM_FAILURES: 'true',
    ...('executor' in options
      ? options.executor === undefined
        ? {}
        : { DURABLE_EXECUTOR_FUNCTION: options.executor }
      : { DURABLE_EXECUTOR_FUNCTION: `${lambda.arnOf(EXECUTOR)}:live` }),
  };
  const config = loadConfig(env);
  const logger = createLogger({ logLevel: 'SILENT' });
  const reports: BatchReport[] = [];
  const handler = createHandler({
    ...productionDependencies(options.theApp ?? app, config, logger),
    ledger: options.ledger ?? new MemoryRunLedger(),
    onReport: (r) => reports.push(r),
  });
  return { handler, reports, last: () => reports.at(-1)?.outcomes ?? [] };
};

describe('dispatching durable runs to the run executor', () => {
  it('starts one execution named after the run and is done with the record at once; the partition moves on', async () => {
    const runId = newRunId('disp');
    const quickId = newRunId('quick');
    emulator.createRun({ id: runId, action: 'rollout_long' });
    emulator.createRun({ id: quickId, action: 'quick' });
    const ledger = new MemoryRunLedger();
    const c = container({ ledger });

    await c.handler(runsEvent([v1Run('rollout_long', { version: '2.0.0' }, runId), v1Run('quick', {}, quickId)]), lambdaContext());

    expect(c.last().map((o) => [o.runId, o.status, o.reason])).toEqual([
      [runId, 'skipped', 'dispatched'],
      [quickId, 'succeeded', 'succeeded'],
    ]);
    // The handler only handed the run over: nothing of it ran here, and Port still shows it running.
    expect(executed).not.toContain(runId);
    expect(emulator.getRun(runId)?.status).toBe('IN_PROGRESS');
    expect(emulator.getRun(quickId)?.status).toBe('SUCCESS');
    expect(lambda.requests).toHaveLength(1);
    const [request] = lambda.requests;
    expect(request).toMatchObject({
      functionName: `${lambda.arnOf(EXECUTOR)}:live`,
      invocationType: 'Event',
      executionName: `run-${runId}`,
      status: 202,
    });
    const payload = DurableRunPayload.parse(JSON.parse(request?.payload ?? '{}'));
    expect(payload).toMatchObject({
      v: 1,
      attempt: 1,
      run: { runId, action: 'rollout_long', inputs: { version: '2.0.0' } },
      record: { partition: 0, offset: 100 },
    });
    const entry = await ledger.get(runId);
    expect(entry).toMatchObject({ owner: `durable/run-${runId}`, policy: 'fail', attempt: 1 });
    expect(payload.acceptedAt).toBe(entry?.claimedAt);
  });

  it('a redelivered record starts nothing new: same name, same payload, the existing execution', async () => {
    const runId = newRunId('redeliver');
    emulator.createRun({ id: runId, action: 'rollout_long' });
    const c = container();
    const event = runsEvent([v1Run('rollout_long', { version: '2.0.1' }, runId)]);

    await c.handler(event, lambdaContext());
    await c.handler(event, lambdaContext());

    expect(lambda.requests.map((r) => [r.executionName, r.status])).toEqual([
      [`run-${runId}`, 202],
      [`run-${runId}`, 202],
    ]);
    expect(lambda.requests[1]?.payload).toBe(lambda.requests[0]?.payload);
    expect([...lambda.executions.keys()].filter((n) => n === `run-${runId}`)).toHaveLength(1);
  });

  it('a second container without the shared ledger builds another payload: Lambda refuses the name, the run stays with the first execution', async () => {
    const runId = newRunId('twocontainers');
    emulator.createRun({ id: runId, action: 'rollout_long' });
    const event = runsEvent([v1Run('rollout_long', { version: '2.0.2' }, runId)]);
    await container().handler(event, lambdaContext());
    // A different acceptedAt makes a different payload (the clock moved on).
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = container();

    await second.handler(event, lambdaContext());

    expect(lambda.requests.map((r) => r.status)).toEqual([202, 409]);
    expect(second.last()[0]).toMatchObject({ runId, status: 'skipped', reason: 'already-dispatched' });
    expect(emulator.getRun(runId)?.status).toBe('IN_PROGRESS');
  });

  it("leaves the record for a retry while Lambda throttles, then starts the execution with the first claim's payload", async () => {
    const runId = newRunId('throttle');
    emulator.createRun({ id: runId, action: 'rollout_long' });
    const ledger = new MemoryRunLedger();
    const c = container({ ledger });
    const event = runsEvent([v1Run('rollout_long', { version: '2.0.3' }, runId)]);
    // More throttles than the SDK's own retries absorb.
    lambda.faults.push({ status: 429, code: 'TooManyRequestsException', message: 'Rate exceeded', times: 10 });

    await c.handler(event, lambdaContext());
    expect(c.last()[0]).toMatchObject({ status: 'retry', reason: 'transient' });
    const claimedAt = (await ledger.get(runId))?.claimedAt;
    lambda.faults.length = 0;
    await c.handler(event, lambdaContext());

    expect(c.last()[0]).toMatchObject({ runId, status: 'skipped', reason: 'dispatched' });
    const started = lambda.requests.filter((r) => r.status === 202);
    expect(started).toHaveLength(1);
    expect(DurableRunPayload.parse(JSON.parse(started[0]?.payload ?? '{}')).acceptedAt).toBe(claimedAt);
  });

  it('ends the run FAILURE with the reason when Lambda refuses the start for good', async () => {
    const runId = newRunId('missing');
    emulator.createRun({ id: runId, action: 'rollout_long' });
    const c = container({ executor: `${lambda.arnOf('no-such-executor')}:live` });

    await c.handler(runsEvent([v1Run('rollout_long', { version: '2.0.4' }, runId)]), lambdaContext());

    expect(c.last()[0]).toMatchObject({ runId, status: 'failed', reason: 'dispatch-refused' });
    const run = emulator.getRun(runId);
    expect(run?.status).toBe('FAILURE');
    expect(run?.summary).toMatch(/^The backend could not start the run's durable execution: ResourceNotFoundException: Function not found/);
  });

  it('without a run executor a durable run ends FAILURE saying so, instead of running inline', async () => {
    const runId = newRunId('noexec');
    emulator.createRun({ id: runId, action: 'rollout_long' });
    const c = container({ executor: undefined });

    await c.handler(runsEvent([v1Run('rollout_long', { version: '2.0.5' }, runId)]), lambdaContext());

    expect(executed).not.toContain(runId);
    expect(lambda.requests).toHaveLength(0);
    expect(emulator.getRun(runId)?.summary).toMatch(/no run executor \(DURABLE_EXECUTOR_FUNCTION is unset\)/);
  });

  describe('end to end', () => {
    beforeAll(() => LocalDurableTestRunner.setupTestEnvironment({ skipTime: true }));
    afterAll(() => LocalDurableTestRunner.teardownTestEnvironment());

    it('the execution Lambda starts runs the action through its waits and reports once; redeliveries change nothing', async () => {
      const runId = newRunId('e2e');
      emulator.createRun({ id: runId, action: 'rollout_long' });
      const ledger = new MemoryRunLedger();
      const runs: Promise<unknown>[] = [];
      // Stands in for Lambda running the durable function it was asked to start.
      lambda.onStart((execution) => {
        runs.push(
          new LocalDurableTestRunner({ handlerFunction: durableExecutor(emulator, app.actions, { ledger }) }).run({
            payload: execution.payload,
          })
        );
      });
      const c = container({ ledger });
      const event = runsEvent([v1Run('rollout_long', { version: '3.0.0' }, runId)]);

      await c.handler(event, lambdaContext());
      // Lambda answered after the server had started the execution: it is in `runs` already.
      expect(runs).toHaveLength(1);
      await Promise.all(runs);
      await c.handler(event, lambdaContext());

      expect(emulator.getRun(runId)).toMatchObject({ status: 'SUCCESS', summary: 'rolled out 3.0.0' });
      expect(executed.filter((id) => id === runId)).toHaveLength(1);
      expect(c.last()[0]).toMatchObject({ runId, status: 'skipped', reason: 'already-ended' });
      expect(lambda.requests.filter((r) => r.executionName === `run-${runId}`)).toHaveLength(1);
    });
  });
});
