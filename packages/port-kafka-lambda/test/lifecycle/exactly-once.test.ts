import { afterEach, describe, expect, it } from '@jest/globals';
import { kafkaEvent, kafkaRecord, lambdaContext, runsEvent } from '../../src/testing/factories.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { countingAction, endingPatches, newRun, runPath, runRequests } from './support.js';

describe('exactly once, as far as Port sees', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('skips a redelivered run that already ended without executing or reporting it again', async () => {
    // Prepare
    const counter = countingAction('count_me');
    h = await createHarness({ actions: [counter.action] });
    const { runId, message } = newRun(h, 'count_me');
    const event = runsEvent([message]);
    await h.handler(event, lambdaContext());
    const before = runRequests(h, runId).length;

    // Act
    await h.handler(event, lambdaContext());

    // Assess
    expect(counter.timesRun(runId)).toBe(1);
    expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'skipped', reason: 'already-ended', runId })]);
    // The run ledger knows the run was reported: Port is not even asked for its status.
    expect(
      runRequests(h, runId)
        .slice(before)
        .map((r) => r.method)
    ).toEqual([]);
    expect(endingPatches(h, runId)).toHaveLength(1);
    expect(h.emulator.logs(runId).filter((l) => l.message.startsWith('Picked up'))).toHaveLength(1);
  });

  it.each(['SUCCESS', 'FAILURE', 'DECLINED'])('does not execute a run whose status in Port is already %s', async (status) => {
    // Prepare
    const counter = countingAction('count_me');
    h = await createHarness({ actions: [counter.action] });
    const { runId, message } = newRun(h, 'count_me', {}, status);

    // Act
    await h.handler(runsEvent([message]), lambdaContext());

    // Assess
    expect(counter.executions).toEqual([]);
    expect(h.emulator.logs(runId)).toEqual([]);
    expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'skipped', reason: 'already-ended' })]);
  });

  it('skips a run that does not exist in Port', async () => {
    // Prepare
    const counter = countingAction('count_me');
    h = await createHarness({ actions: [counter.action] });
    const { runId, message } = newRun(h, 'count_me');
    h.emulator.runs.delete(runId);

    // Act
    const response = await h.handler(runsEvent([message]), lambdaContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(counter.executions).toEqual([]);
    expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'skipped', reason: 'run-not-found' })]);
  });

  it('runs a run id delivered several times in one batch once, across and within partitions', async () => {
    // Prepare
    const counter = countingAction('count_me');
    h = await createHarness({ actions: [counter.action] });
    const { runId, message } = newRun(h, 'count_me');
    const event = kafkaEvent([
      kafkaRecord({ value: message, partition: 0, offset: 10 }),
      kafkaRecord({ value: message, partition: 0, offset: 11 }),
      kafkaRecord({ value: message, partition: 1, offset: 20 }),
      kafkaRecord({ value: message, partition: 2, offset: 30 }),
    ]);

    // Act
    const response = await h.handler(event, lambdaContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(counter.timesRun(runId)).toBe(1);
    const outcomes = h.lastOutcomes();
    expect(outcomes.filter((o) => o.status === 'succeeded')).toHaveLength(1);
    expect(outcomes.filter((o) => o.reason === 'duplicate-in-batch')).toHaveLength(3);
    expect(runRequests(h, runId).filter((r) => r.method === 'GET' && r.path === runPath(runId))).toHaveLength(1);
    expect(endingPatches(h, runId)).toHaveLength(1);
  });

  it('does not execute runs completed by the first attempt again when the batch is retried', async () => {
    // Prepare
    const counter = countingAction('count_me');
    h = await createHarness({ actions: [counter.action] });
    const runs = [newRun(h, 'count_me'), newRun(h, 'count_me'), newRun(h, 'count_me')];
    const [first, second, third] = runs.map((r) => r.runId) as [string, string, string];
    const event = runsEvent(runs.map((r) => r.message));
    // Port cannot answer the second run's status check for longer than the retry budget.
    h.emulator.faults.push({ match: { method: 'GET', path: runPath(second) }, times: 3, respond: { status: 503 } });
    await expect(h.handler(event, lambdaContext())).rejects.toMatchObject({ name: 'BatchRetryError' });
    expect(counter.executions).toEqual([first]);

    // Act
    const response = await h.handler(event, lambdaContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(counter.executions).toEqual([first, second, third]);
    expect(h.lastOutcomes().map((o) => o.reason)).toEqual(['already-ended', 'succeeded', 'succeeded']);
    for (const runId of [first, second, third]) {
      expect(h.emulator.getRun(runId)?.status).toBe('SUCCESS');
      expect(endingPatches(h, runId)).toHaveLength(1);
    }
  });
});
