import { afterEach, describe, expect, it } from '@jest/globals';
import { BatchRetryError } from '../../src/handler.js';
import { kafkaEvent, kafkaRecord, lambdaContext, RUNS_TOPIC, runsEvent } from '../../src/testing/factories.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { countingAction, endingPatches, newRun, runPath, runRequests } from './support.js';

/** Every request fails with 503 until the faults are cleared. */
const portDown = (h: Harness) => h.emulator.faults.push({ times: 100_000, respond: { status: 503 } });
const portBack = (h: Harness) => h.emulator.faults.splice(0);

describe('Port down during a batch, then back', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('re-reports, without re-executing, a run whose final report could not be delivered', async () => {
    // Prepare: the harness client makes 3 attempts per call; the final PATCH fails them all.
    const counter = countingAction('count_me');
    h = await createHarness({ actions: [counter.action] });
    const { runId, message } = newRun(h, 'count_me');
    const event = runsEvent([message]);
    h.emulator.faults.push({ match: { method: 'PATCH', path: runPath(runId) }, times: 3, respond: { status: 503 } });

    // Act
    const first = await h.handler(event, lambdaContext()).catch((error: unknown) => error);
    const afterFirst = { executions: counter.timesRun(runId), status: h.emulator.getRun(runId)?.status };
    const second = await h.handler(event, lambdaContext());

    // Assess
    expect(first).toBeInstanceOf(BatchRetryError);
    expect((first as BatchRetryError).report.outcomes).toEqual([
      expect.objectContaining({
        status: 'retry',
        reason: 'transient',
        detail: expect.stringMatching(/^PortUnavailableError: Port API PATCH .* after 3 attempt\(s\)/),
      }),
    ]);
    expect(afterFirst).toEqual({ executions: 1, status: 'IN_PROGRESS' });
    expect(second).toEqual({ batchItemFailures: [] });
    expect(counter.timesRun(runId)).toBe(1);
    expect(h.emulator.getRun(runId)).toMatchObject({ status: 'SUCCESS', summary: `count_me done for ${runId}` });
    expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'succeeded', reason: 'report-resent' })]);
    // The retry went straight to the report: no second status check or pickup log.
    expect(runRequests(h, runId).filter((r) => r.method === 'GET')).toHaveLength(1);
    expect(h.emulator.logs(runId).filter((l) => l.message.startsWith('Picked up'))).toHaveLength(1);
    expect(
      runRequests(h, runId)
        .filter((r) => r.method === 'PATCH')
        .map((r) => r.status)
    ).toEqual([503, 503, 503, 200]);
  });

  it('returns the unreported run as a Kafka batch item failure and reports it on redelivery', async () => {
    // Prepare
    const counter = countingAction('count_me');
    h = await createHarness({ actions: [counter.action], config: { reportBatchItemFailures: true } });
    const done = newRun(h, 'count_me');
    const stuck = newRun(h, 'count_me');
    const records = [
      kafkaRecord({ value: done.message, partition: 4, offset: 40 }),
      kafkaRecord({ value: stuck.message, partition: 5, offset: 50 }),
    ];
    h.emulator.faults.push({ match: { method: 'PATCH', path: runPath(stuck.runId) }, times: 3, respond: { status: 503 } });

    // Act
    const first = await h.handler(kafkaEvent(records), lambdaContext());
    // Lambda redelivers the failed partition from the failed offset.
    const second = await h.handler(kafkaEvent(records.slice(1)), lambdaContext());

    // Assess
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: `${RUNS_TOPIC}-5`, offset: 50 } }] });
    expect(second).toEqual({ batchItemFailures: [] });
    expect(counter.executions.sort()).toEqual([done.runId, stuck.runId].sort());
    expect(h.emulator.getRun(stuck.runId)?.status).toBe('SUCCESS');
  });

  it('executes nothing while Port is down at the status check and executes each run once when it is back', async () => {
    // Prepare
    const counter = countingAction('count_me');
    h = await createHarness({ actions: [counter.action] });
    const runs = [newRun(h, 'count_me'), newRun(h, 'count_me'), newRun(h, 'count_me')];
    const event = runsEvent(
      runs.map((r) => r.message),
      3
    );
    portDown(h);

    // Act
    const first = await h.handler(event, lambdaContext()).catch((error: unknown) => error);
    const executedWhileDown = [...counter.executions];
    portBack(h);
    const second = await h.handler(event, lambdaContext());

    // Assess
    expect(first).toBeInstanceOf(BatchRetryError);
    expect(executedWhileDown).toEqual([]);
    expect(second).toEqual({ batchItemFailures: [] });
    for (const { runId } of runs) {
      expect(counter.timesRun(runId)).toBe(1);
      expect(h.emulator.getRun(runId)?.status).toBe('SUCCESS');
      expect(h.emulator.logs(runId).filter((l) => l.message.startsWith('Picked up'))).toHaveLength(1);
    }
  });

  it('executes every run exactly once when Port goes down mid-batch and comes back', async () => {
    // Prepare: Port goes down right after the second execution starts.
    let harness: Harness | undefined;
    const counter = countingAction('count_me', async ({ runId }) => {
      if (counter.executions.length === 2 && harness) portDown(harness);
      return { summary: `done ${runId}` };
    });
    h = harness = await createHarness({ actions: [counter.action], config: { partitionConcurrency: 2 } });
    const runs = Array.from({ length: 8 }, () => newRun(h as Harness, 'count_me'));
    const event = runsEvent(
      runs.map((r) => r.message),
      2
    );

    // Act
    const first = await h.handler(event, lambdaContext()).catch((error: unknown) => error);
    const executedWhileDown = [...counter.executions];
    portBack(h);
    const second = await h.handler(event, lambdaContext());

    // Assess
    expect(first).toBeInstanceOf(BatchRetryError);
    expect(executedWhileDown.length).toBeGreaterThanOrEqual(2);
    expect(executedWhileDown.length).toBeLessThan(runs.length);
    expect(second).toEqual({ batchItemFailures: [] });
    for (const { runId } of runs) {
      expect(counter.timesRun(runId)).toBe(1);
      expect(h.emulator.getRun(runId)).toMatchObject({ status: 'SUCCESS', summary: `done ${runId}` });
      expect(endingPatches(h, runId)).toHaveLength(1);
    }
  });

  it('resends both the final log and the FAILURE of a run that failed while Port was down', async () => {
    // Prepare: Port stops taking logs while the handler runs, so the final log cannot be sent.
    let harness: Harness | undefined;
    const broken = countingAction('throws', async ({ runId }) => {
      harness?.emulator.faults.push({ match: { method: 'POST', path: `${runPath(runId)}/logs` }, times: 3, respond: { status: 502 } });
      throw new Error('disk full');
    });
    h = harness = await createHarness({ actions: [broken.action] });
    const { runId, message } = newRun(h, 'throws');
    const event = runsEvent([message]);

    // Act
    const first = await h.handler(event, lambdaContext()).catch((error: unknown) => error);
    const statusWhileDown = h.emulator.getRun(runId)?.status;
    const second = await h.handler(event, lambdaContext());

    // Assess
    expect(first).toBeInstanceOf(BatchRetryError);
    expect(statusWhileDown).toBe('IN_PROGRESS');
    expect(second).toEqual({ batchItemFailures: [] });
    expect(broken.timesRun(runId)).toBe(1);
    expect(h.emulator.getRun(runId)).toMatchObject({ status: 'FAILURE', summary: 'throws failed: disk full' });
    const finalLogs = h.emulator.logs(runId).filter((l) => l.message.startsWith('Failed after'));
    expect(finalLogs).toHaveLength(1);
  });

  it('accepts a final report whose answer was lost once Port shows the run ended', async () => {
    // Prepare: Port applies the final PATCH but the answer never arrives; the client retries it.
    const counter = countingAction('count_me');
    h = await createHarness({ actions: [counter.action] });
    const { runId, message } = newRun(h, 'count_me');
    h.emulator.faults.push({
      match: { method: 'PATCH', path: runPath(runId) },
      respond: { drop: true, afterHandling: true },
    });

    // Act
    const response = await h.handler(runsEvent([message]), lambdaContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(counter.timesRun(runId)).toBe(1);
    expect(h.emulator.getRun(runId)?.status).toBe('SUCCESS');
    const patches = runRequests(h, runId).filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => [r.fault, r.status])).toEqual([
      ['drop', undefined],
      [undefined, 422],
    ]);
    expect(runRequests(h, runId).filter((r) => r.method === 'GET')).toHaveLength(2);
    expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'succeeded' })]);
  });

  it('holds back the rest of a partition behind a record left for a retry while other partitions go on', async () => {
    // Prepare
    const counter = countingAction('count_me');
    h = await createHarness({ actions: [counter.action], config: { reportBatchItemFailures: true } });
    const [a, b, c, d, e] = Array.from({ length: 5 }, () => newRun(h as Harness, 'count_me')) as [
      ReturnType<typeof newRun>,
      ReturnType<typeof newRun>,
      ReturnType<typeof newRun>,
      ReturnType<typeof newRun>,
      ReturnType<typeof newRun>,
    ];
    const p0 = [
      kafkaRecord({ value: a.message, partition: 0, offset: 1 }),
      kafkaRecord({ value: b.message, partition: 0, offset: 2 }),
      kafkaRecord({ value: c.message, partition: 0, offset: 3 }),
    ];
    const p1 = [kafkaRecord({ value: d.message, partition: 1, offset: 1 }), kafkaRecord({ value: e.message, partition: 1, offset: 2 })];
    h.emulator.faults.push({ match: { method: 'GET', path: runPath(b.runId) }, times: 3, respond: { status: 503 } });

    // Act
    const first = await h.handler(kafkaEvent([...p0, ...p1]), lambdaContext());
    const executedFirst = [...counter.executions];
    const heldBackRequests = runRequests(h, c.runId).length;
    const second = await h.handler(kafkaEvent(p0.slice(1)), lambdaContext());

    // Assess
    expect(first).toEqual({
      batchItemFailures: [
        { itemIdentifier: { partition: `${RUNS_TOPIC}-0`, offset: 2 } },
        { itemIdentifier: { partition: `${RUNS_TOPIC}-0`, offset: 3 } },
      ],
    });
    expect(executedFirst.sort()).toEqual([a.runId, d.runId, e.runId].sort());
    // Nothing at all was sent about the held-back record.
    expect(heldBackRequests).toBe(0);
    expect(h.reports[0]?.outcomes.map((o) => o.reason)).toEqual(['succeeded', 'transient', 'after-retry', 'succeeded', 'succeeded']);
    expect(second).toEqual({ batchItemFailures: [] });
    // On redelivery, b runs before c.
    expect(counter.executions.slice(3)).toEqual([b.runId, c.runId]);
    for (const run of [a, b, c, d, e]) expect(counter.timesRun(run.runId)).toBe(1);
  });
});
