import { afterEach, describe, expect, it } from '@jest/globals';
import { createHarness, type Harness, kafkaEvent, kafkaRecord, lambdaContext, loadEvent } from 'port-kafka-lambda/testing';
import { createRolloutService } from '../../lambda/actions/rollout-service.js';
import app from '../../lambda/app.js';
import type { DeploymentApi } from '../../lambda/integrations/deployments.js';

type Message = { context: { runId: string }; payload: { properties: Record<string, unknown> } };

/** A deployment system that answers from a script, one status per check. */
const scripted = (statuses: Awaited<ReturnType<DeploymentApi['status']>>[]): DeploymentApi & { starts: number; checks: number } => {
  const api = {
    starts: 0,
    checks: 0,
    async start() {
      api.starts += 1;
      return { id: 'dep-42', url: 'https://deployments.example.com/dep-42' };
    },
    async status() {
      const answer = statuses[Math.min(api.checks, statuses.length - 1)];
      api.checks += 1;
      if (!answer) throw new Error('no scripted status');
      return answer;
    },
  };
  return api;
};

describe('rollout_service action (durable)', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  it('starts the rollout once, polls until healthy, and reports SUCCESS with the link and the version', async () => {
    // Prepare: the bundled sample, run in this process with waits skipped.
    h = await createHarness({ app });
    const message = loadEvent<Message>('v2-compat-run-rollout-service.json');
    h.emulator.createRun({ id: message.context.runId, action: 'rollout_service' });

    // Act
    await h.handler(kafkaEvent([kafkaRecord({ value: message })]), lambdaContext());

    // Assess
    const run = h.emulator.getRun(message.context.runId);
    expect(run).toMatchObject({
      status: 'SUCCESS',
      summary: 'Rolled out checkout 1.5.0 to staging: 3/3 replicas healthy',
      statusLabel: 'healthy',
    });
    expect(run?.link?.[0]).toMatch(/^https:\/\/deployments\.example\.com\/checkout\/staging\//);
    expect(h.emulator.entities.get('service/checkout')?.properties).toMatchObject({ staging_version: '1.5.0' });
    const [execution] = h.durableExecutions;
    expect(execution?.steps.map((s) => s.name)).toEqual([
      'claim',
      'status',
      'pickup',
      'validate',
      'log',
      'start deployment',
      'link',
      'service healthy',
      'upsert service',
      'report',
    ]);
    // The simulated rollout takes 4 minutes, checked every 30 s: healthy on the 8th check.
    expect(execution?.steps.find((s) => s.name === 'service healthy')?.attempts).toBe(8);
  });

  it('replays do not start a second deployment; a failed deployment fails the run with its reason', async () => {
    const deployments = scripted([
      { state: 'progressing', ready: 1, desired: 3 },
      { state: 'failed', ready: 1, desired: 3 },
    ]);
    h = await createHarness({ actions: [createRolloutService(deployments)] });
    const message = loadEvent<Message>('v2-compat-run-rollout-service.json');
    h.emulator.createRun({ id: message.context.runId, action: 'rollout_service' });

    await h.handler(kafkaEvent([kafkaRecord({ value: message })]), lambdaContext());

    expect(deployments.starts).toBe(1);
    const run = h.emulator.getRun(message.context.runId);
    expect(run?.status).toBe('FAILURE');
    expect(run?.summary).toBe('rollout_service failed: deployment dep-42 failed');
    expect(h.emulator.logs(message.context.runId).filter((l) => l.message.startsWith('Rolling out'))).toHaveLength(1);
  });

  it('gives up after its 30-minute poll timeout when the service never becomes healthy', async () => {
    const deployments = scripted([{ state: 'progressing', ready: 2, desired: 3 }]);
    h = await createHarness({ actions: [createRolloutService(deployments)] });
    const message = loadEvent<Message>('v2-compat-run-rollout-service.json');
    h.emulator.createRun({ id: message.context.runId, action: 'rollout_service' });

    await h.handler(kafkaEvent([kafkaRecord({ value: message })]), lambdaContext());

    const run = h.emulator.getRun(message.context.runId);
    expect(run?.summary).toBe('rollout_service failed: "service healthy" did not happen within 30m (61 checks)');
    expect(run?.statusLabel).toBe('2/3 replicas ready');
  });
});
