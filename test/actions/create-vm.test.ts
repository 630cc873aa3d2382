import { afterEach, describe, expect, it } from '@jest/globals';
import { createHarness, type Harness, kafkaEvent, kafkaRecord, lambdaContext, loadEvent, v1Run } from 'port-kafka-lambda/testing';
import app from '../../lambda/app.js';

describe('create_vm action', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  it('creates the vm entity tied to the run, links the console and reports SUCCESS', async () => {
    // Prepare
    h = await createHarness({ app });
    const message = loadEvent<{ context: { runId: string } }>('v1-run-create-vm.json');
    const runId = message.context.runId;
    h.emulator.createRun({ id: runId, action: 'create_vm' });
    // Act
    await h.handler(kafkaEvent([kafkaRecord({ value: message })]), lambdaContext());
    // Assess
    const run = h.emulator.getRun(runId);
    expect(run).toMatchObject({ status: 'SUCCESS', statusLabel: 'Running', externalRunId: 'vm/vm-q2mgf9zykfrnzjjb' });
    expect(run?.summary).toBe('Created small VM vm-q2mgf9zykfrnzjjb in eu-west-1');
    expect(run?.link).toEqual([expect.stringContaining('eu-west-1.console.aws.amazon.com')]);
    expect(h.emulator.entitiesOfRun(runId)).toEqual(['vm/vm-q2mgf9zykfrnzjjb']);
    expect(h.emulator.entities.get('vm/vm-q2mgf9zykfrnzjjb')?.properties).toMatchObject({
      cpu_cores: 2,
      size_class: 'small',
      requested_by: 'dana@example.com',
    });
    expect(h.emulator.logs(runId).map((l) => l.message)).toEqual([
      expect.stringMatching(/^Picked up by/),
      'Provisioning vm-q2mgf9zykfrnzjjb: 2 vCPU, 4 GiB RAM, 50 GiB disk in eu-west-1',
    ]);
  });

  it('routes the recommended template’s <blueprint>_-prefixed identifier and uses the given name', async () => {
    h = await createHarness({ app });
    const message = loadEvent<{ runId: string }>('recommended-run-create-vm.json');
    h.emulator.createRun({ id: message.runId, action: 'vm_create_vm' });
    await h.handler(kafkaEvent([kafkaRecord({ value: message })]), lambdaContext());
    expect(h.emulator.getRun(message.runId)?.summary).toBe('Created medium VM build-agent-7 in us-east-1');
  });

  it('fails the run naming the inputs that are wrong', async () => {
    h = await createHarness({ app });
    h.emulator.createRun({ id: 'r_badvm', action: 'create_vm' });
    const message = v1Run('create_vm', { cpu: 'two', memory: 4, storage: 5, region: 'mars-1' }, 'r_badvm');
    await h.handler(kafkaEvent([kafkaRecord({ value: message })]), lambdaContext());
    const run = h.emulator.getRun('r_badvm');
    expect(run?.status).toBe('FAILURE');
    expect(run?.summary).toMatch(/^Invalid inputs: /);
    for (const input of ['cpu', 'storage', 'region']) expect(run?.summary).toContain(`${input}:`);
    expect(run?.summary).not.toContain('memory:');
    expect(h.emulator.entities.size).toBe(0);
  });
});
