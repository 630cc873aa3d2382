import { afterEach, describe, expect, it } from '@jest/globals';
import {
  CHANGES_TOPIC,
  captureLogs,
  createHarness,
  type Harness,
  kafkaEvent,
  kafkaRecord,
  lambdaContext,
  loadEvent,
} from 'port-kafka-lambda/testing';
import app from '../../lambda/app.js';
import { MIN_TIME_FOR_WRITE_MS, vmStorageAlert } from '../../lambda/changes/vm-storage-alert.js';

/** A sample change with its diff open for editing. */
type VmChange = { diff: { before: { properties: Record<string, unknown> } | null; after: { properties: Record<string, unknown> } | null } };

// Type-level checks, enforced by `tsc --noEmit` (part of `npm test`): the entity
// schema types the diff the handler receives.
type VmAfter = Parameters<typeof vmStorageAlert.handler>[0]['diff']['after'];
const typedAfter: VmAfter = { identifier: 'vm-1', properties: { storage_size: 10, free_storage: null } };
// @ts-expect-error free_storage is a number in the schema, not a string
const mistypedAfter: VmAfter = { identifier: 'vm-1', properties: { free_storage: 'lots' } };

describe('vm-storage-alert change handler', () => {
  let h: Harness | undefined;
  let logs: ReturnType<typeof captureLogs> | undefined;
  afterEach(async () => {
    logs?.restore();
    logs = undefined;
    await h?.close();
    h = undefined;
  });

  const seedVm = async (harness: Harness, identifier: string, properties: Record<string, unknown>) => {
    await harness.port.upsertEntity('vm', { identifier, properties });
  };

  it('raises the alert when an update leaves under 10% of the disk free', async () => {
    h = await createHarness({ app });
    await seedVm(h, 'storage-example', { storage_size: 10, free_storage: 0.5 });
    await h.handler(kafkaEvent([kafkaRecord({ topic: CHANGES_TOPIC, value: loadEvent('change-entity-update.json') })]), lambdaContext());
    expect(h.lastOutcomes()[0]).toMatchObject({ status: 'succeeded', reason: 'vm-storage-alert' });
    expect(h.emulator.entities.get('vm/storage-example')?.properties.storage_alert).toBe(true);
  });

  it('does not write when the flag already matches (its own write comes back as an UPDATE)', async () => {
    h = await createHarness({ app });
    await seedVm(h, 'ci-runner-1', { storage_size: 100, free_storage: 100 });
    const writesBefore = h.emulator.requests.filter((r) => r.method === 'PATCH').length;
    await h.handler(kafkaEvent([kafkaRecord({ topic: CHANGES_TOPIC, value: loadEvent('change-entity-create.json') })]), lambdaContext());
    expect(h.emulator.requests.filter((r) => r.method === 'PATCH').length).toBe(writesBefore);
  });

  it('ignores deletes and other blueprints', async () => {
    h = await createHarness({ app });
    const timer = loadEvent('edge-cases/change-timer-expired.json');
    await h.handler(
      kafkaEvent([
        kafkaRecord({ topic: CHANGES_TOPIC, offset: 1, value: loadEvent('change-entity-delete.json') }),
        kafkaRecord({ topic: CHANGES_TOPIC, offset: 2, value: timer }),
      ]),
      lambdaContext()
    );
    expect(h.lastOutcomes().map((o) => o.reason)).toEqual(['no-change-handler', 'no-change-handler']);
    expect(h.emulator.requests).toHaveLength(0);
  });

  it('parks the change when the entity to flag does not exist, and the batch goes on', async () => {
    h = await createHarness({ app });
    await h.handler(kafkaEvent([kafkaRecord({ topic: CHANGES_TOPIC, value: loadEvent('change-entity-update.json') })]), lambdaContext());
    expect(h.lastOutcomes()[0]).toMatchObject({ status: 'failed', reason: 'handler-error' });
    expect(h.lastOutcomes()[0]?.detail).toMatch(/404/);
    expect(h.parker.records[0]).toMatchObject({ topic: CHANGES_TOPIC, reason: 'handler-error' });
  });

  it('declares the entity schema its diff is typed with', () => {
    expect(vmStorageAlert.entity?.safeParse(typedAfter).success).toBe(true);
    expect(vmStorageAlert.entity?.safeParse(mistypedAfter).success).toBe(false);
  });

  it('reads the typed before and after entities of the diff', async () => {
    h = await createHarness({ app, logLevel: 'INFO' });
    await seedVm(h, 'storage-example', { storage_size: 10, free_storage: 0.5 });
    logs = captureLogs();
    await h.handler(kafkaEvent([kafkaRecord({ topic: CHANGES_TOPIC, value: loadEvent('change-entity-update.json') })]), lambdaContext());
    logs.restore();
    expect(logs.entries().find((e) => e.message === 'Low storage: alert raised')).toMatchObject({
      vm: 'storage-example',
      freeBefore: 6,
      freeAfter: 0.5,
    });
  });

  it('gets a null diff.before on CREATE', async () => {
    h = await createHarness({ app, logLevel: 'INFO' });
    await seedVm(h, 'ci-runner-1', { storage_size: 100, free_storage: 3 });
    const created = loadEvent<VmChange>('change-entity-create.json');
    if (created.diff.after) created.diff.after.properties.free_storage = 3;
    logs = captureLogs();
    await h.handler(kafkaEvent([kafkaRecord({ topic: CHANGES_TOPIC, value: created })]), lambdaContext());
    logs.restore();
    expect(h.emulator.entities.get('vm/ci-runner-1')?.properties.storage_alert).toBe(true);
    const raised = logs.entries().find((e) => e.message === 'Low storage: alert raised');
    expect(raised).toMatchObject({ vm: 'ci-runner-1', freeAfter: 3 });
    // No entity before a CREATE: the logger leaves the undefined figure out.
    expect(raised).not.toHaveProperty('freeBefore');
  });

  it('parks a change whose entity does not fit the schema, naming the fields, without running the handler', async () => {
    h = await createHarness({ app, logLevel: 'ERROR' });
    await seedVm(h, 'storage-example', { storage_size: 10, free_storage: 0.5 });
    const broken = loadEvent<VmChange>('change-entity-update.json');
    if (broken.diff.before) broken.diff.before.properties.storage_size = -10;
    if (broken.diff.after) broken.diff.after.properties.free_storage = 'almost none';
    logs = captureLogs();
    const response = await h.handler(kafkaEvent([kafkaRecord({ topic: CHANGES_TOPIC, value: broken })]), lambdaContext());
    logs.restore();
    // Parked, not retried: the same entity would not fit on the next delivery either.
    expect(response).toEqual({ batchItemFailures: [] });
    const outcome = h.lastOutcomes()[0];
    expect(outcome).toMatchObject({ status: 'failed', reason: 'handler-error' });
    expect(outcome?.detail).toBe(
      'ChangeEntityError: The change does not fit the entity schema of change handler "vm-storage-alert": ' +
        'diff.before.properties.storage_size: Too small: expected number to be >0; ' +
        'diff.after.properties.free_storage: Invalid input: expected number, received string'
    );
    expect(h.parker.records).toEqual([expect.objectContaining({ topic: CHANGES_TOPIC, reason: 'handler-error', detail: outcome?.detail })]);
    expect(logs.entries().find((e) => e.message === 'Handler failed on a record; parked')).toMatchObject({ error: outcome?.detail });
    // The handler never ran: no write, and the value is in neither the reason nor the log.
    expect(h.emulator.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
    expect(logs.text()).not.toContain('almost none');
  });

  it('leaves the change for a retry when remainingTimeMs() is too short for the write', async () => {
    // A 1.5 s invocation less the 600 ms margin leaves the handler at most 900 ms, under its threshold.
    expect(MIN_TIME_FOR_WRITE_MS).toBeGreaterThan(900);
    h = await createHarness({ app, config: { runDeadlineMarginMs: 600, runStartMinRemainingMs: 10, reportBatchItemFailures: true } });
    await seedVm(h, 'storage-example', { storage_size: 10, free_storage: 0.5 });
    const record = kafkaRecord({ topic: CHANGES_TOPIC, offset: 42, value: loadEvent('change-entity-update.json') });
    const response = await h.handler(kafkaEvent([record]), lambdaContext(1_500));
    expect(h.lastOutcomes()[0]).toMatchObject({ status: 'retry', reason: 'transient' });
    expect(h.lastOutcomes()[0]?.detail).toMatch(/^DeadlineError: \d+ ms left; the storage alert of storage-example is left for the retry$/);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: { partition: `${CHANGES_TOPIC}-0`, offset: 42 } }]);
    expect(h.parker.records).toHaveLength(0);
    expect(h.emulator.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);

    // With a full invocation ahead, the same change is written.
    await h.handler(kafkaEvent([record]), lambdaContext());
    expect(h.emulator.entities.get('vm/storage-example')?.properties.storage_alert).toBe(true);
  });
});
