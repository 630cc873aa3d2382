import { afterEach, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config.js';
import { foreignRun } from '../../src/routing/ownership.js';
import { CHANGES_TOPIC, kafkaEvent, kafkaRecord, lambdaContext, loadEvent, runsEvent } from '../../src/testing/factories.js';
import type { Harness } from '../../src/testing/harness.js';
import { captureLogs } from '../../src/testing/logs.js';
import { createHarness } from '../helpers/harness.js';

/**
 * Several backends on one org topic (port-agent PR #54/#55): a deployment with
 * BACKEND_ENVIRONMENT takes only the runs whose payload names its environment;
 * the others are another backend's and are skipped with a debug line, as agent
 * runs are, never reported to Port.
 */

type Run = Record<string, unknown> & { runId: string };
const run = (runId: string, environment?: string): Run => {
  const message = loadEvent<Run>('recommended-run-create-vm.json');
  message.runId = runId;
  if (environment !== undefined) message.environment = environment;
  return message;
};

describe('BACKEND_ENVIRONMENT', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("runs its own environment's runs and skips the rest, without a word to Port about them", async () => {
    h = await createHarness({ config: { backendEnvironment: 'prod' }, logLevel: 'DEBUG' });
    for (const id of ['r_prod', 'r_staging', 'r_none']) h.emulator.createRun({ id, action: 'vm_create_vm' });
    const logs = captureLogs();
    try {
      await h.handler(runsEvent([run('r_prod', 'prod'), run('r_staging', 'staging'), run('r_none')]), lambdaContext());
    } finally {
      logs.restore();
    }
    expect(h.lastOutcomes().map((o) => [o.runId, o.status, o.reason])).toEqual([
      ['r_prod', 'succeeded', 'succeeded'],
      ['r_staging', 'skipped', 'other-environment'],
      ['r_none', 'skipped', 'other-environment'],
    ]);
    expect(h.emulator.getRun('r_prod')?.status).toBe('SUCCESS');
    // Another backend owns these: not picked up, not failed, not logged to.
    expect(h.emulator.getRun('r_staging')?.status).toBe('IN_PROGRESS');
    expect(h.emulator.logs('r_staging')).toEqual([]);
    expect(h.emulator.logs('r_none')).toEqual([]);
    const skipped = logs.entries().filter((e) => e.message === 'Record skipped');
    expect(skipped.map((e) => [e.level, e.runId, e.reason])).toEqual([
      ['DEBUG', 'r_staging', 'other-environment'],
      ['DEBUG', 'r_none', 'other-environment'],
    ]);
  });

  it('takes every run when unset, whatever environment the payload names', async () => {
    h = await createHarness();
    h.emulator.createRun({ id: 'r_any', action: 'vm_create_vm' });
    await h.handler(runsEvent([run('r_any', 'staging')]), lambdaContext());
    expect(h.emulator.getRun('r_any')?.status).toBe('SUCCESS');
  });

  it('does not touch change events: they have no environment and go to the change handlers as before', async () => {
    h = await createHarness({ config: { backendEnvironment: 'prod' } });
    const change = loadEvent('change-entity-update.json');
    await h.handler(kafkaEvent([kafkaRecord({ topic: CHANGES_TOPIC, value: change })]), lambdaContext());
    expect(h.lastOutcomes()[0]?.reason).not.toBe('other-environment');
  });

  it("keeps the more specific reasons of other consumers' messages", () => {
    expect(foreignRun(loadEvent('edge-cases/agent-webhook-run.json'), 'prod')).toBe('agent-run');
    expect(foreignRun(loadEvent('edge-cases/workflow-node-run.json'), 'prod')).toBe('workflow-node-run');
    expect(foreignRun(run('r_x', 'prod'), 'prod')).toBeUndefined();
  });

  it('is read from the environment and checked', () => {
    expect(loadConfig({ BACKEND_ENVIRONMENT: 'eu-prod' }).backendEnvironment).toBe('eu-prod');
    expect(loadConfig({}).backendEnvironment).toBeUndefined();
    expect(() => loadConfig({ BACKEND_ENVIRONMENT: 'two words' })).toThrow('BACKEND_ENVIRONMENT: expected an environment name');
  });
});
