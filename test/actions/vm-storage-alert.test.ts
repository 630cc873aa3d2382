import { afterEach, describe, expect, it } from '@jest/globals';
import app from '../../lambda/app.js';
import { CHANGES_TOPIC, createHarness, type Harness, kafkaEvent, kafkaRecord, lambdaContext, loadEvent } from 'port-kafka-lambda/testing';

describe('vm-storage-alert change handler', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

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
});
