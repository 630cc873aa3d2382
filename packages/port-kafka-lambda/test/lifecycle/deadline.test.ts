import { afterEach, describe, expect, it } from '@jest/globals';
import { RunClosedError } from '../../src/runs/errors.js';
import { kafkaEvent, kafkaRecord, lambdaContext, RUNS_TOPIC } from '../../src/testing/factories.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { aborted, countingAction, newRun, runRequests } from './support.js';

describe('the Lambda deadline', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('starts no run when too little time is left and leaves the records for a retry', async () => {
    // Prepare
    const counter = countingAction('count_me');
    h = await createHarness({ actions: [counter.action], config: { runStartMinRemainingMs: 1_000 } });
    const a = newRun(h, 'count_me');
    const b = newRun(h, 'count_me');
    const event = kafkaEvent([
      kafkaRecord({ value: a.message, partition: 0, offset: 5 }),
      kafkaRecord({ value: b.message, partition: 1, offset: 9 }),
    ]);

    // Act
    const attempt = h.handler(event, lambdaContext(500));

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'BatchRetryError' });
    expect(counter.executions).toEqual([]);
    expect(h.emulator.requests).toEqual([]);
    expect(h.lastOutcomes().map((o) => [o.status, o.reason])).toEqual([
      ['retry', 'deadline'],
      ['retry', 'deadline'],
    ]);
  });

  it('returns the records left for a retry as Kafka batch item failures when enabled', async () => {
    // Prepare
    const counter = countingAction('count_me');
    h = await createHarness({
      actions: [counter.action],
      config: { runStartMinRemainingMs: 1_000, reportBatchItemFailures: true },
    });
    const a = newRun(h, 'count_me');
    const b = newRun(h, 'count_me');
    const event = kafkaEvent([
      kafkaRecord({ value: a.message, partition: 0, offset: 5 }),
      kafkaRecord({ value: b.message, partition: 1, offset: 9 }),
    ]);

    // Act
    const response = await h.handler(event, lambdaContext(500));

    // Assess
    expect(counter.executions).toEqual([]);
    expect(response).toEqual({
      batchItemFailures: [
        { itemIdentifier: { partition: `${RUNS_TOPIC}-0`, offset: 5 } },
        { itemIdentifier: { partition: `${RUNS_TOPIC}-1`, offset: 9 } },
      ],
    });
  });

  it('reports a run still going near the deadline as timed out before Lambda would stop it', async () => {
    // Prepare
    let lateLog: unknown;
    let sawAbort = false;
    const sleeper = countingAction('sleeps_past_deadline', async (_input, ctx) => {
      await ctx.log('Started a long job');
      await aborted(ctx.signal);
      sawAbort = true;
      lateLog = await ctx.log('still here').catch((error: unknown) => error);
      return { summary: 'never reported' };
    });
    const counter = countingAction('count_me');
    // Budgets in seconds, not a few hundred ms: on a busy machine reaching the runs or
    // reporting the timeout can take that long, and must not decide what happens.
    h = await createHarness({
      actions: [sleeper.action, counter.action],
      config: { runStartMinRemainingMs: 1_000, runDeadlineMarginMs: 800, reportBatchItemFailures: true },
    });
    const slow = newRun(h, 'sleeps_past_deadline');
    const next = newRun(h, 'count_me');
    const elsewhere = newRun(h, 'count_me');
    const event = kafkaEvent([
      kafkaRecord({ value: slow.message, partition: 0, offset: 1 }),
      kafkaRecord({ value: next.message, partition: 0, offset: 2 }),
      kafkaRecord({ value: elsewhere.message, partition: 1, offset: 7 }),
    ]);
    const context = lambdaContext(2_000);
    const startedAt = Date.now();

    // Act
    const response = await h.handler(event, context);

    // Assess: stopped at the margin (2 000 - 800 ms), not before, and done before the deadline.
    const elapsed = Date.now() - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(1_150);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(100);
    const run = h.emulator.getRun(slow.runId);
    expect(run?.status).toBe('FAILURE');
    expect(run?.summary).toMatch(/^Timed out after \d\.\d s: the function's deadline was near, so the run was stopped$/);
    expect(h.emulator.logs(slow.runId).map((l) => l.message)).toEqual([
      expect.stringMatching(/^Picked up by/),
      'Started a long job',
      run?.summary,
    ]);
    expect(sawAbort).toBe(true);
    expect(lateLog).toBeInstanceOf(RunClosedError);
    // The next record of the partition is not started with too little time left; other partitions ran.
    expect(counter.executions).toEqual([elsewhere.runId]);
    expect(h.emulator.getRun(next.runId)?.status).toBe('IN_PROGRESS');
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: `${RUNS_TOPIC}-0`, offset: 2 } }] });
    expect(h.lastOutcomes().map((o) => o.reason)).toEqual(['timed-out', 'deadline', 'succeeded']);
  });

  it('gives the handler the time left before the margin', async () => {
    // Prepare
    let remaining = -1;
    const probe = countingAction('probe', async (_input, ctx) => {
      remaining = ctx.remainingTimeMs();
    });
    h = await createHarness({ actions: [probe.action], config: { runStartMinRemainingMs: 100, runDeadlineMarginMs: 2_000 } });
    const { message } = newRun(h, 'probe');

    // Act
    await h.handler(kafkaEvent([kafkaRecord({ value: message })]), lambdaContext(10_000));

    // Assess
    expect(remaining).toBeGreaterThan(7_000);
    expect(remaining).toBeLessThanOrEqual(8_000);
  });

  it('keeps the budget a run had when it was accepted, even if the deadline is pulled in afterwards', async () => {
    // Prepare: the consumer drains on SIGTERM by reporting no time left; a run that passed the
    // start check before that must still run to its end, not be timed out at once.
    let remaining = -1;
    const probe = countingAction('probe', async (_input, ctx) => {
      remaining = ctx.remainingTimeMs();
    });
    h = await createHarness({ actions: [probe.action], config: { runStartMinRemainingMs: 1_000, runDeadlineMarginMs: 1_000 } });
    const { runId, message } = newRun(h, 'probe');
    const context = lambdaContext(10_000);
    const live = context.getRemainingTimeInMillis.bind(context);
    // Drain while the run is being accepted: from the moment its status request reaches Port
    // (a condition, not a 10 ms timer that a busy machine fires before or after the request).
    const statusRead = () => runRequests(h as Harness, runId).some((r) => r.method === 'GET');
    context.getRemainingTimeInMillis = () => (statusRead() ? 0 : live());

    // Act
    await h.handler(kafkaEvent([kafkaRecord({ value: message })]), context);

    // Assess
    expect(statusRead()).toBe(true);
    expect(context.getRemainingTimeInMillis()).toBe(0);
    expect(h.emulator.getRun(runId)?.status).toBe('SUCCESS');
    expect(remaining).toBeGreaterThan(8_000);
  });
});
