import { LocalDurableTestRunner } from '@aws/durable-execution-sdk-js-testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { defineAction } from '../../src/actions/define.js';
import { type PortEmulator, startPortEmulator } from '../../src/emulator/index.js';
import { MemoryRunLedger } from '../../src/runs/ledger/memory.js';
import { INTERRUPTED_SUMMARY } from '../../src/runs/report.js';
import { crashOnce, durableExecutor, newRunId, payloadFor } from './support.js';

/*
 * The run executor under the durable SDK's own local runner: real checkpoints,
 * real replays (every wait ends the invocation and the handler starts over),
 * with the clock skipped through waits.
 */

beforeAll(() => LocalDurableTestRunner.setupTestEnvironment({ skipTime: true }));
afterAll(() => LocalDurableTestRunner.teardownTestEnvironment());

let emulator: PortEmulator;
beforeEach(async () => {
  emulator = await startPortEmulator({ autoCreateRuns: false });
});
afterEach(() => emulator.close());

const messages = (runId: string) => emulator.logs(runId).map((l) => l.message);

describe('durable run executor', () => {
  it('runs steps once across replays, skips waits, polls until the condition holds and reports SUCCESS once', async () => {
    const calls = { start: 0, checks: 0 };
    const action = defineAction({
      identifier: 'rollout',
      durable: { timeout: '2h' },
      inputs: z.object({ version: z.string() }),
      async handler({ inputs }, ctx) {
        await ctx.log(`Rolling out ${inputs.version}`);
        const deployment = await ctx.step('start deployment', async () => {
          calls.start += 1;
          return { id: `dep-${inputs.version}` };
        });
        await ctx.wait('settle', '20m');
        const healthy = await ctx.waitUntil(
          'service healthy',
          async (attempt) => {
            calls.checks += 1;
            await ctx.setStatusLabel(`check ${attempt}`);
            return attempt >= 3 ? { ready: 3 } : undefined;
          },
          { interval: '30s', timeout: '10m' }
        );
        await ctx.addLink(`https://deploy.example.com/${deployment.id}`);
        return { summary: `Rolled out ${inputs.version} (${healthy.ready} ready)` };
      },
    });
    const runId = newRunId();
    emulator.createRun({ id: runId, action: 'rollout' });

    const runner = new LocalDurableTestRunner({ handlerFunction: durableExecutor(emulator, [action]) });
    const execution = await runner.run({ payload: payloadFor(runId, 'rollout', { version: '1.2.3' }) });

    expect(execution.getStatus()).toBe('SUCCEEDED');
    expect(execution.getResult()).toEqual({ status: 'SUCCESS', reason: 'succeeded' });
    expect(emulator.getRun(runId)).toMatchObject({
      status: 'SUCCESS',
      summary: 'Rolled out 1.2.3 (3 ready)',
      link: ['https://deploy.example.com/dep-1.2.3'],
    });
    // The 20-minute wait ended the invocation: the handler ran again from the top, and the
    // step and the log line before the wait were replayed from their checkpoints.
    expect(execution.getInvocations().length).toBeGreaterThan(1);
    expect(calls).toEqual({ start: 1, checks: 3 });
    const logs = messages(runId);
    expect(logs.filter((m) => m === 'Rolling out 1.2.3')).toHaveLength(1);
    expect(logs[0]).toMatch(/^Picked up by run-executor-test \(durable execution run-r_dur\w+\) from .*-0 at offset 7; time limit 2h$/);
    expect(execution.getOperations().map((op) => op.getName())).toEqual([
      'claim',
      'status',
      'pickup',
      'validate',
      'log',
      'start deployment',
      'settle',
      'service healthy',
      'link',
      'report',
    ]);
    expect(runner.getOperation('settle').getWaitDetails()?.waitSeconds).toBe(1200);
    // One ending PATCH: the report step is not repeated by the replays after it.
    expect(emulator.endings.filter((e) => e.runId === runId)).toHaveLength(1);
  });

  it('reports FAILURE "timed out" when a wait would pass the action\'s time limit, without waiting', async () => {
    let after = false;
    const action = defineAction({
      identifier: 'slow_apply',
      durable: { timeout: '1h' },
      inputs: z.object({}),
      async handler(_input, ctx) {
        await ctx.step('plan', async () => 'planned');
        await ctx.wait('apply', '2h');
        after = true;
      },
    });
    const runId = newRunId();
    emulator.createRun({ id: runId, action: 'slow_apply' });

    const execution = await new LocalDurableTestRunner({ handlerFunction: durableExecutor(emulator, [action]) }).run({
      payload: payloadFor(runId, 'slow_apply'),
    });

    expect(execution.getResult()).toEqual({ status: 'FAILURE', reason: 'timed-out' });
    expect(after).toBe(false);
    const run = emulator.getRun(runId);
    expect(run?.status).toBe('FAILURE');
    expect(run?.summary).toMatch(/^Timed out after \w+: waiting 2h would pass the run's time limit of 1h \(\w+ left\)$/);
    expect(execution.getOperations().map((op) => op.getName())).not.toContain('apply');
  });

  it('counts skipped waits and polling against the limit: a poll that outlasts it times the run out', async () => {
    const action = defineAction({
      identifier: 'never_healthy',
      durable: { timeout: '30m' },
      inputs: z.object({}),
      async handler(_input, ctx) {
        await ctx.wait('warm up', '20m');
        await ctx.waitUntil('healthy', async () => undefined, { interval: '1m' });
      },
    });
    const runId = newRunId();
    emulator.createRun({ id: runId, action: 'never_healthy' });

    const execution = await new LocalDurableTestRunner({ handlerFunction: durableExecutor(emulator, [action]) }).run({
      payload: payloadFor(runId, 'never_healthy'),
    });

    expect(execution.getResult()).toEqual({ status: 'FAILURE', reason: 'timed-out' });
    expect(emulator.getRun(runId)?.summary).toMatch(/^Timed out after (29m|30m)\w*: the run passed its time limit of 30m$/);
  });

  it('a poll that runs out of its own timeout fails the run with what did not happen', async () => {
    const action = defineAction({
      identifier: 'stuck_rollout',
      durable: true,
      inputs: z.object({}),
      async handler(_input, ctx) {
        await ctx.waitUntil('service healthy', async () => undefined, { interval: '30s', timeout: '5m' });
      },
    });
    const runId = newRunId();
    emulator.createRun({ id: runId, action: 'stuck_rollout' });

    const execution = await new LocalDurableTestRunner({ handlerFunction: durableExecutor(emulator, [action]) }).run({
      payload: payloadFor(runId, 'stuck_rollout'),
    });

    expect(execution.getResult()).toEqual({ status: 'FAILURE', reason: 'handler-error' });
    // Checks at 0, 30 s, ..., 5 m: the last one lands on the timeout, then no interval fits.
    expect(emulator.getRun(runId)?.summary).toBe('stuck_rollout failed: "service healthy" did not happen within 5m (11 checks)');
    expect(messages(runId).at(-1)).toMatch(/^Failed after \w+: WaitUntilTimeoutError: "service healthy" did not happen/);
  });

  it("a step that throws fails the run with the step's message; retries are opt-in", async () => {
    let attempts = 0;
    const action = defineAction({
      identifier: 'flaky',
      durable: true,
      inputs: z.object({}),
      async handler(_input, ctx) {
        await ctx.step(
          'call api',
          async () => {
            attempts += 1;
            if (attempts < 3) throw new Error(`api said no (${attempts})`);
            return 'ok';
          },
          { retries: 2, retryDelay: '5s' }
        );
        await ctx.step('second', async () => {
          throw new TypeError('bad response shape');
        });
      },
    });
    const runId = newRunId();
    emulator.createRun({ id: runId, action: 'flaky' });

    const execution = await new LocalDurableTestRunner({ handlerFunction: durableExecutor(emulator, [action]) }).run({
      payload: payloadFor(runId, 'flaky'),
    });

    expect(attempts).toBe(3);
    expect(execution.getResult()).toEqual({ status: 'FAILURE', reason: 'handler-error' });
    expect(emulator.getRun(runId)?.summary).toBe('flaky failed: bad response shape');
    expect(messages(runId).at(-1)).toMatch(/^Failed after \w+: TypeError: bad response shape$/);
  });

  it.each([
    ['fail', 'FAILURE', 1],
    ['rerun', 'SUCCESS', 2],
  ] as const)('a step cut off by a crash follows onInterrupted: %s', async (policy, status, runs) => {
    let attempts = 0;
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const action = defineAction({
      identifier: `apply_${policy}`,
      durable: true,
      onInterrupted: policy,
      inputs: z.object({}),
      async handler(_input, ctx) {
        // A pending timer keeps the execution alive after the "crash", as Lambda's re-invocation would.
        const tick = ctx.durable.wait('heartbeat', { seconds: 1 });
        await ctx.step('terraform apply', async () => {
          attempts += 1;
          if (attempts === 1) {
            markStarted();
            await new Promise(() => undefined);
          }
          return 'applied';
        });
        await tick;
        return { summary: 'applied' };
      },
    });
    const runId = newRunId();
    emulator.createRun({ id: runId, action: `apply_${policy}` });

    const handler = crashOnce(durableExecutor(emulator, [action]), started);
    const execution = await new LocalDurableTestRunner({ handlerFunction: handler }).run({ payload: payloadFor(runId, `apply_${policy}`) });

    expect(attempts).toBe(runs);
    expect(emulator.getRun(runId)?.status).toBe(status);
    if (policy === 'fail') {
      expect(execution.getResult()).toEqual({ status: 'FAILURE', reason: 'interrupted' });
      expect(emulator.getRun(runId)?.summary).toBe(INTERRUPTED_SUMMARY);
    }
  });

  it('never executes a run Port shows as ended, nor one the ledger has delivered', async () => {
    let ran = 0;
    const action = defineAction({
      identifier: 'once',
      durable: true,
      inputs: z.object({}),
      async handler() {
        ran += 1;
        return { summary: 'done' };
      },
    });
    const ledger = new MemoryRunLedger();
    const handler = durableExecutor(emulator, [action], { ledger });

    const ended = newRunId();
    emulator.createRun({ id: ended, action: 'once', status: 'SUCCESS' });
    const first = await new LocalDurableTestRunner({ handlerFunction: handler }).run({ payload: payloadFor(ended, 'once') });
    expect(first.getResult()).toEqual({ status: 'skipped', reason: 'already-ended' });

    const runId = newRunId();
    emulator.createRun({ id: runId, action: 'once' });
    const payload = payloadFor(runId, 'once');
    const done = await new LocalDurableTestRunner({ handlerFunction: handler }).run({ payload });
    expect(done.getResult()).toEqual({ status: 'SUCCESS', reason: 'succeeded' });
    // A second execution of the same run (retention expired, a name reused): the ledger says delivered.
    const again = await new LocalDurableTestRunner({ handlerFunction: handler }).run({ payload });
    expect(again.getResult()).toEqual({ status: 'skipped', reason: 'already-ended' });
    expect(ran).toBe(1);
    expect((await ledger.get(runId))?.report?.patch.status).toBe('SUCCESS');
  });

  it('fails invalid inputs before the action runs', async () => {
    let ran = false;
    const action = defineAction({
      identifier: 'typed',
      durable: true,
      inputs: z.object({ replicas: z.number().int().min(1) }),
      async handler() {
        ran = true;
      },
    });
    const runId = newRunId();
    emulator.createRun({ id: runId, action: 'typed' });
    const execution = await new LocalDurableTestRunner({ handlerFunction: durableExecutor(emulator, [action]) }).run({
      payload: payloadFor(runId, 'typed', { replicas: 0 }),
    });
    expect(execution.getResult()).toEqual({ status: 'FAILURE', reason: 'invalid-inputs' });
    expect(ran).toBe(false);
    expect(emulator.getRun(runId)?.summary).toMatch(/^Invalid inputs: replicas/);
  });
});
