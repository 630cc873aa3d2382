import { afterEach, describe, expect, it } from '@jest/globals';
import {
  captureLogs,
  createHarness,
  DEFAULT_EMULATOR_CLIENT,
  encryptSecretInput,
  type Harness,
  kafkaEvent,
  kafkaRecord,
  lambdaContext,
  loadEvent,
} from 'port-kafka-lambda/testing';
import app from '../../lambda/app.js';

type Message = { context: { runId: string }; payload: { properties: Record<string, unknown>; censoredProperties: string[] } };

describe('deploy_service action', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  it('deploys on the run’s entity, logs each step and records the version on the service', async () => {
    h = await createHarness({ app });
    const message = loadEvent<Message>('v2-compat-run-deploy-service.json');
    h.emulator.createRun({ id: message.context.runId, action: 'deploy_service' });
    await h.handler(kafkaEvent([kafkaRecord({ value: message })]), lambdaContext());
    const run = h.emulator.getRun(message.context.runId);
    expect(run).toMatchObject({ status: 'SUCCESS', summary: 'Deployed checkout 1.4.2 to staging' });
    expect(run?.link).toEqual(['https://deployments.example.com/checkout/staging/1.4.2']);
    expect(
      h.emulator
        .logs(message.context.runId)
        .map((l) => l.message)
        .slice(1)
    ).toEqual(['[1/3] Pulling image', '[2/3] Updating task definition', '[3/3] Waiting for healthy targets']);
    expect(h.emulator.entities.get('service/checkout')?.properties).toMatchObject({ staging_version: '1.4.2' });
  });

  it('decrypts a secret input without it reaching a log line, Port, or the summary', async () => {
    // Prepare
    h = await createHarness({ app, logLevel: 'DEBUG' });
    const token = 'ghp_registryTokenValue0123456789';
    const message = loadEvent<Message>('v2-compat-run-deploy-service.json');
    message.payload.properties.registry_token = encryptSecretInput(token, DEFAULT_EMULATOR_CLIENT.clientSecret);
    message.payload.censoredProperties = ['registry_token'];
    h.emulator.createRun({ id: message.context.runId, action: 'deploy_service' });
    const logs = captureLogs();
    // Act
    try {
      await h.handler(kafkaEvent([kafkaRecord({ value: message })]), lambdaContext());
    } finally {
      logs.restore();
    }
    // Assess
    expect(h.emulator.getRun(message.context.runId)?.status).toBe('SUCCESS');
    expect(h.emulator.logs(message.context.runId).map((l) => l.message)).toContain(
      `Registry credentials decrypted (${token.length} characters)`
    );
    expect(logs.text()).not.toContain(token);
    expect(JSON.stringify(h.emulator.requests)).not.toContain(token);
  });

  it('refuses production deployments from automations with a readable FAILURE', async () => {
    h = await createHarness({ app });
    const message = loadEvent<{ runId: string; inputs: Record<string, unknown> }>('automation-run-deploy-service.json');
    message.inputs.environment = 'production';
    h.emulator.createRun({ id: message.runId, action: 'deploy_service' });
    await h.handler(kafkaEvent([kafkaRecord({ value: message })]), lambdaContext());
    const run = h.emulator.getRun(message.runId);
    expect(run?.status).toBe('FAILURE');
    expect(run?.summary).toBe('deploy_service failed: automations may not deploy to production');
    expect(h.emulator.logs(message.runId).at(-1)?.message).toMatch(/^Failed after [\d.]+ s: automations may not deploy/);
  });
});
