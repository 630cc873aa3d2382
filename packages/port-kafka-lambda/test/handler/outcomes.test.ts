import { afterEach, describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { defineAction } from '../../src/actions/define.js';
import { defineChangeHandler } from '../../src/changes/define.js';
import { InvalidEventError } from '../../src/handler.js';
import { CHANGES_TOPIC, kafkaEvent, kafkaRecord, lambdaContext, loadEvent, RUNS_TOPIC, v1Run } from '../../src/testing/factories.js';
import { captureLogs } from '../../src/testing/logs.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

/** A test action that records the run ids it executes, in order. */
const recorder = (identifier: string, delayMs = 0) => {
  const calls: string[] = [];
  const definition = defineAction({
    identifier,
    inputs: z.object({ n: z.number() }),
    async handler({ runId }) {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      calls.push(runId);
      return { summary: `ran ${runId}` };
    },
  });
  return { definition, calls };
};

describe('handler outcomes', () => {
  let h: Harness | undefined;
  let logs: ReturnType<typeof captureLogs> | undefined;
  afterEach(async () => {
    logs?.restore();
    logs = undefined;
    await h?.close();
  });

  it('logs, parks and counts each malformed record by its coordinates, and the batch goes on', async () => {
    // Prepare
    const { definition, calls } = recorder('echo');
    h = await createHarness({ actions: [definition], logLevel: 'DEBUG' });
    const good = v1Run('echo', { n: 1 }, 'r_good1');
    h.emulator.createRun({ id: 'r_good1', action: 'echo' });
    const secretText = 'cleartext-should-never-be-logged';
    const event = kafkaEvent([
      kafkaRecord({ partition: 0, offset: 10, value: {}, rawValue: '%%% not base64 %%%' }),
      kafkaRecord({ partition: 0, offset: 11, value: {}, rawValue: Buffer.from([0xc3, 0x28]).toString('base64') }),
      kafkaRecord({ partition: 0, offset: 12, value: `{"password":"${secretText}"` }),
      kafkaRecord({ partition: 0, offset: 13, value: { resourceType: 'run', note: secretText } }),
      kafkaRecord({ partition: 0, offset: 14, value: good }),
    ]);
    logs = captureLogs();
    // Act
    const response = await h.handler(event, lambdaContext());
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(calls).toEqual(['r_good1']);
    expect(h.lastOutcomes().map((o) => [o.offset, o.status, o.reason])).toEqual([
      [10, 'invalid', 'not-base64'],
      [11, 'invalid', 'not-utf8'],
      [12, 'invalid', 'not-json'],
      [13, 'invalid', 'schema'],
      [14, 'succeeded', 'succeeded'],
    ]);
    expect(h.reports.at(-1)?.counts).toMatchObject({ invalid: 4, succeeded: 1 });
    expect(h.parker.records.map((p) => [p.topic, p.partition, p.offset, p.reason])).toEqual([
      [RUNS_TOPIC, 0, 10, 'not-base64'],
      [RUNS_TOPIC, 0, 11, 'not-utf8'],
      [RUNS_TOPIC, 0, 12, 'not-json'],
      [RUNS_TOPIC, 0, 13, 'schema'],
    ]);
    // The parked record keeps the original bytes so nothing is lost.
    expect(h.parker.records[2]?.value).toBe(event.records[`${RUNS_TOPIC}-0`]?.[2]?.value);
    const warnings = logs.entries().filter((e) => e.level === 'WARN');
    expect(warnings.map((w) => w.offset)).toEqual([10, 11, 12, 13]);
    expect(warnings.every((w) => w.topic === RUNS_TOPIC && w.partition === 0)).toBe(true);
    expect(logs.text()).not.toContain(secretText);
  });

  it('skips an unknown action with a warning by default', async () => {
    h = await createHarness({ actions: [], logLevel: 'DEBUG' });
    h.emulator.createRun({ id: 'r_unknown1', action: 'mystery' });
    logs = captureLogs();
    await h.handler(kafkaEvent([kafkaRecord({ value: v1Run('mystery', {}, 'r_unknown1') })]), lambdaContext());
    expect(h.lastOutcomes()[0]).toMatchObject({ status: 'skipped', reason: 'unknown-action', runId: 'r_unknown1' });
    expect(h.emulator.getRun('r_unknown1')?.status).toBe('IN_PROGRESS');
    const warning = logs.entries().find((e) => e.level === 'WARN');
    expect(warning).toMatchObject({ runId: 'r_unknown1', action: 'mystery', topic: RUNS_TOPIC });
  });

  it('fails the run in Port for an unknown action when configured to', async () => {
    h = await createHarness({ actions: [], config: { unknownAction: 'fail' } });
    h.emulator.createRun({ id: 'r_unknown2', action: 'mystery' });
    await h.handler(kafkaEvent([kafkaRecord({ value: v1Run('mystery', {}, 'r_unknown2') })]), lambdaContext());
    expect(h.lastOutcomes()[0]).toMatchObject({ status: 'failed', reason: 'unknown-action' });
    expect(h.emulator.getRun('r_unknown2')).toMatchObject({ status: 'FAILURE' });
    expect(h.emulator.getRun('r_unknown2')?.summary).toMatch(/No handler for action "mystery"/);
  });

  it('skips tombstones with an info line, and other consumers’ messages with a debug line', async () => {
    h = await createHarness({ logLevel: 'DEBUG' });
    logs = captureLogs();
    await h.handler(
      kafkaEvent([
        kafkaRecord({ offset: 1, value: null }),
        kafkaRecord({ offset: 2, value: loadEvent('edge-cases/agent-webhook-run.json') }),
        kafkaRecord({ offset: 3, value: loadEvent('edge-cases/workflow-node-run.json') }),
        kafkaRecord({ topic: CHANGES_TOPIC, offset: 4, value: loadEvent('edge-cases/change-webhook-destination.json') }),
      ]),
      lambdaContext()
    );
    const expected = ['agent-run', 'non-kafka-change-destination', 'tombstone', 'workflow-node-run'];
    expect(
      h
        .lastOutcomes()
        .map((o) => o.reason)
        .sort()
    ).toEqual(expected);
    expect(h.lastOutcomes().every((o) => o.status === 'skipped')).toBe(true);
    const skipped = logs.entries().filter((e) => e.message === 'Record skipped');
    expect(skipped.map((d) => [d.reason, d.level]).sort()).toEqual([
      ['agent-run', 'DEBUG'],
      ['non-kafka-change-destination', 'DEBUG'],
      ['tombstone', 'INFO'],
      ['workflow-node-run', 'DEBUG'],
    ]);
    expect(skipped.find((d) => d.reason === 'tombstone')).toMatchObject({ topic: RUNS_TOPIC, offset: 1 });
    expect(h.emulator.requests).toHaveLength(0);
  });

  it('parks records from a topic that is not the org’s', async () => {
    h = await createHarness();
    await h.handler(kafkaEvent([kafkaRecord({ topic: 'org_other.runs', value: v1Run('create_vm', {}) })]), lambdaContext());
    expect(h.lastOutcomes()[0]).toMatchObject({ status: 'invalid', reason: 'unknown-topic' });
    expect(h.parker.records).toHaveLength(1);
  });

  it('accepts the MSK event shape', async () => {
    const { definition, calls } = recorder('echo');
    h = await createHarness({ actions: [definition] });
    h.emulator.createRun({ id: 'r_msk1', action: 'echo' });
    await h.handler(kafkaEvent([kafkaRecord({ value: v1Run('echo', { n: 1 }, 'r_msk1') })], 'aws:kafka'), lambdaContext());
    expect(calls).toEqual(['r_msk1']);
  });

  it('throws a clear error for an invocation that is not a Kafka event', async () => {
    h = await createHarness();
    await expect(h.handler({ Records: [] }, lambdaContext())).rejects.toThrow(InvalidEventError);
    await expect(h.handler({ Records: [] }, lambdaContext())).rejects.toThrow(/eventSource/);
  });

  it('keeps offset order inside a partition while partitions run concurrently', async () => {
    // Prepare: partition 0 is slow; partition 1 must not wait for it or reorder. The first run
    // of partition 0 holds until partition 1 has finished all four runs (a condition, not a
    // timer): that can only end if the partitions run side by side.
    const order: string[] = [];
    let running = 0;
    let peak = 0;
    const tracked = defineAction({
      identifier: 'tracked',
      inputs: z.object({ n: z.number(), slow: z.boolean() }),
      async handler({ runId, inputs }) {
        running++;
        peak = Math.max(peak, running);
        if (inputs.slow && inputs.n === 0) {
          await waitFor('partition 1 to finish while partition 0 holds its first run', () => order.includes('r_p1_3'), 10_000);
        }
        // Yield once: a partition that did not await its runs would interleave them here.
        await new Promise((r) => setImmediate(r));
        order.push(runId);
        running--;
      },
    });
    h = await createHarness({ actions: [tracked] });
    const records = [];
    for (let i = 0; i < 4; i++) {
      for (const partition of [0, 1]) {
        const runId = `r_p${partition}_${i}`;
        h.emulator.createRun({ id: runId, action: 'tracked' });
        records.push(kafkaRecord({ partition, offset: 100 + i, value: v1Run('tracked', { n: i, slow: partition === 0 }, runId) }));
      }
    }
    // Act: hand Lambda's records over in reverse to prove the handler sorts by offset.
    await h.handler(kafkaEvent(records.reverse()), lambdaContext());
    // Assess
    const p0 = order.filter((id) => id.startsWith('r_p0'));
    const p1 = order.filter((id) => id.startsWith('r_p1'));
    expect(p0).toEqual(['r_p0_0', 'r_p0_1', 'r_p0_2', 'r_p0_3']);
    expect(p1).toEqual(['r_p1_0', 'r_p1_1', 'r_p1_2', 'r_p1_3']);
    expect(order.indexOf('r_p1_3')).toBeLessThan(order.indexOf('r_p0_1'));
    expect(peak).toBe(2);
  });

  it('runs a run id delivered twice in one batch once', async () => {
    const { definition, calls } = recorder('echo');
    h = await createHarness({ actions: [definition] });
    h.emulator.createRun({ id: 'r_dup1', action: 'echo' });
    const message = v1Run('echo', { n: 1 }, 'r_dup1');
    await h.handler(
      kafkaEvent([kafkaRecord({ partition: 0, offset: 1, value: message }), kafkaRecord({ partition: 1, offset: 1, value: message })]),
      lambdaContext()
    );
    expect(calls).toEqual(['r_dup1']);
    expect(
      h
        .lastOutcomes()
        .map((o) => o.reason)
        .sort()
    ).toEqual(['duplicate-in-batch', 'succeeded']);
  });

  it('aborts a change handler’s signal before the Lambda deadline', async () => {
    // Prepare: the time is read off the Lambda context at the abort, so how long the handler
    // took to reach the change (slow on a busy machine) does not matter.
    let remainingAtAbort: number | undefined;
    let context: ReturnType<typeof lambdaContext> | undefined;
    const waiter = defineChangeHandler({
      identifier: 'waits-for-deadline',
      match: {},
      async handler(_change, ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        remainingAtAbort = context?.getRemainingTimeInMillis();
      },
    });
    h = await createHarness({ changeHandlers: [waiter], config: { runDeadlineMarginMs: 1_000, runStartMinRemainingMs: 10 } });
    context = lambdaContext(1_300);
    // Act
    await h.handler(kafkaEvent([kafkaRecord({ topic: CHANGES_TOPIC, value: loadEvent('change-entity-update.json') })]), context);
    // Assess: aborted once the 1 s margin before the deadline was reached, not earlier (5 ms
    // for the rounding of Date.now and the timer to whole ms), and while the Lambda had time left.
    expect(remainingAtAbort).toBeLessThanOrEqual(1_000 + 5);
    expect(remainingAtAbort).toBeGreaterThan(0);
    expect(h.lastOutcomes()[0]).toMatchObject({ status: 'succeeded' });
  });

  it('tells a change handler the time left before its signal aborts', async () => {
    // Prepare
    const seen: { remaining: number; aborted: boolean }[] = [];
    const clock = defineChangeHandler({
      identifier: 'reads-the-clock',
      match: {},
      async handler(_change, ctx) {
        seen.push({ remaining: ctx.remainingTimeMs(), aborted: ctx.signal.aborted });
      },
    });
    h = await createHarness({ changeHandlers: [clock], config: { runDeadlineMarginMs: 2_000, runStartMinRemainingMs: 10 } });
    // Act: a 10 s invocation less the 2 s margin, then one already past the margin.
    await h.handler(
      kafkaEvent([kafkaRecord({ topic: CHANGES_TOPIC, value: loadEvent('change-entity-update.json') })]),
      lambdaContext(10_000)
    );
    await h.handler(
      kafkaEvent([kafkaRecord({ topic: CHANGES_TOPIC, value: loadEvent('change-entity-update.json') })]),
      lambdaContext(1_500)
    );
    // Assess
    expect(seen[0]?.remaining).toBeLessThanOrEqual(8_000);
    expect(seen[0]?.remaining).toBeGreaterThan(6_000);
    expect(seen[0]?.aborted).toBe(false);
    expect(seen[1]).toEqual({ remaining: 0, aborted: true });
  });

  it('gives a change handler with an entity schema only entity changes, and parks a misfit', async () => {
    // Prepare
    const handled: string[] = [];
    const typed = defineChangeHandler({
      identifier: 'typed-vm',
      match: { blueprint: 'vm' },
      entity: z.looseObject({ identifier: z.string(), properties: z.looseObject({ cpu_cores: z.number() }) }),
      async handler(change) {
        handled.push(`${change.action} ${change.diff.after?.identifier ?? change.diff.before?.identifier}`);
      },
    });
    h = await createHarness({ changeHandlers: [typed] });
    const runChange = { ...loadEvent('change-entity-update.json'), resourceType: 'run' };
    const misfit = loadEvent<{ diff: { after: { properties: Record<string, unknown> } } }>('change-entity-update.json');
    misfit.diff.after.properties.cpu_cores = 'two';
    // Act
    await h.handler(
      kafkaEvent([
        kafkaRecord({ topic: CHANGES_TOPIC, offset: 1, value: runChange }),
        kafkaRecord({ topic: CHANGES_TOPIC, offset: 2, value: loadEvent('change-entity-delete.json') }),
        kafkaRecord({ topic: CHANGES_TOPIC, offset: 3, value: misfit }),
      ]),
      lambdaContext()
    );
    // Assess: the run change is not offered (it would not fit), the delete is, the misfit is parked.
    expect(handled).toEqual(['DELETE ci-runner-1']);
    expect(h.lastOutcomes().map((o) => [o.offset, o.status, o.reason])).toEqual([
      [1, 'skipped', 'no-change-handler'],
      [2, 'succeeded', 'typed-vm'],
      [3, 'failed', 'handler-error'],
    ]);
    expect(h.parker.records.map((r) => [r.offset, r.detail])).toEqual([
      [
        3,
        'ChangeEntityError: The change does not fit the entity schema of change handler "typed-vm": diff.after.properties.cpu_cores: Invalid input: expected number, received string',
      ],
    ]);
  });

  it('cannot be used to pollute prototypes through a message', async () => {
    h = await createHarness({ logLevel: 'DEBUG' });
    logs = captureLogs();
    const text = JSON.stringify(v1Run('create_vm', { cpu: 1 }, 'r_proto1')).replace(
      '"cpu":1',
      '"cpu":1,"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}'
    );
    h.emulator.createRun({ id: 'r_proto1', action: 'create_vm' });
    await h.handler(kafkaEvent([kafkaRecord({ value: text })]), lambdaContext());
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(logs.entries().find((e) => e.message === 'Removed prototype-polluting keys from a record')).toMatchObject({
      removedKeys: 3,
    });
  });
});
