import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { lambdaContext, loadEvent, runsEvent } from '../../src/testing/factories.js';
import { createHarness, type Harness } from '../helpers/harness.js';

describe('handler smoke', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  it('executes a v1 create_vm run and reports SUCCESS to Port', async () => {
    const message = loadEvent<{ context: { runId: string } }>('v1-run-create-vm.json');
    h.emulator.createRun({ id: message.context.runId, action: 'create_vm' });
    const response = await h.handler(runsEvent([message]), lambdaContext());
    expect(response).toEqual({ batchItemFailures: [] });
    const run = h.emulator.getRun(message.context.runId);
    expect(run?.status).toBe('SUCCESS');
    expect(run?.summary).toMatch(/Created small VM/);
    expect(h.emulator.logs(message.context.runId).map((l) => l.message)[0]).toMatch(/Picked up by port-kafka-lambda-test/);
  });
});
