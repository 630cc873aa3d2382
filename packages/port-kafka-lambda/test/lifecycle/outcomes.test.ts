import { afterEach, describe, expect, it } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { RunClosedError } from '../../src/runs/errors.js';
import { kafkaEvent, kafkaRecord, lambdaContext, RUNS_TOPIC, runsEvent } from '../../src/testing/factories.js';
import { captureLogs } from '../../src/testing/logs.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { bodyOf, countingAction, encryptSecret, endingPatches, newRun, runRequests } from './support.js';

describe('run lifecycle outcomes', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('logs the pickup naming the function and the topic, partition and offset before the handler runs', async () => {
    // Prepare
    let logsSeenByHandler = -1;
    const probe = countingAction('probe', async ({ runId }) => {
      logsSeenByHandler = h?.emulator.logs(runId).length ?? -1;
    });
    h = await createHarness({ actions: [probe.action] });
    const { runId, message } = newRun(h, 'probe');
    const event = kafkaEvent([kafkaRecord({ value: message, partition: 3, offset: 4711 })]);

    // Act
    await h.handler(event, lambdaContext());

    // Assess
    const first = h.emulator.logs(runId)[0]?.message;
    expect(first).toBe(`Picked up by port-kafka-lambda-test from ${RUNS_TOPIC}-3 at offset 4711`);
    expect(logsSeenByHandler).toBe(1);
    // The status check precedes the pickup log.
    expect(runRequests(h, runId).map((r) => r.method)[0]).toBe('GET');
  });

  it('sends logs, status label, links, external run id and run-tied entities from the handler context', async () => {
    // Prepare
    let remainingAtStart = -1;
    let signalAborted: boolean | undefined;
    const busy = countingAction('use_every_ctx_method', async ({ runId }, ctx) => {
      remainingAtStart = ctx.remainingTimeMs();
      signalAborted = ctx.signal.aborted;
      await ctx.log('Step 1: reserving capacity');
      await ctx.setStatusLabel('Reserving');
      await ctx.addLink('https://console.example/one');
      await ctx.addLink('https://console.example/two');
      await ctx.setExternalRunId(`ext-${runId}`);
      const entity = await ctx.upsertEntity('vm', {
        identifier: `vm-${runId.toLowerCase()}`,
        title: 'Test VM',
        properties: { cpu_cores: 2 },
      });
      await ctx.log(`Step 2: created ${entity.identifier}`);
      return { summary: 'All steps done', link: ['https://console.example/two', 'https://console.example/three'] };
    });
    h = await createHarness({ actions: [busy.action] });
    const { runId, message } = newRun(h, 'use_every_ctx_method');

    // Act
    await h.handler(runsEvent([message]), lambdaContext(60_000));

    // Assess
    const run = h.emulator.getRun(runId);
    expect(run).toMatchObject({
      status: 'SUCCESS',
      summary: 'All steps done',
      statusLabel: 'Reserving',
      externalRunId: `ext-${runId}`,
      link: ['https://console.example/one', 'https://console.example/two', 'https://console.example/three'],
    });
    expect(h.emulator.logs(runId).map((l) => l.message)).toEqual([
      expect.stringMatching(/^Picked up by/),
      'Step 1: reserving capacity',
      `Step 2: created vm-${runId.toLowerCase()}`,
    ]);
    expect(h.emulator.entitiesOfRun(runId)).toEqual([`vm/vm-${runId.toLowerCase()}`]);
    expect(h.emulator.entities.get(`vm/vm-${runId.toLowerCase()}`)?.properties).toEqual({ cpu_cores: 2 });
    // Budget = remaining (60 s) - default margin (5 s).
    expect(remainingAtStart).toBeGreaterThan(50_000);
    expect(remainingAtStart).toBeLessThanOrEqual(55_000);
    expect(signalAborted).toBe(false);
    expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'succeeded', reason: 'succeeded', runId })]);
  });

  it('reports SUCCESS with the returned summary, links, status label and external run id', async () => {
    // Prepare
    const ok = countingAction('returns_result', async () => ({
      summary: 'Deployed v1.2.3',
      link: 'https://ci.example/build/42',
      statusLabel: 'Live',
      externalRunId: 'build-42',
    }));
    h = await createHarness({ actions: [ok.action] });
    const { runId, message } = newRun(h, 'returns_result');

    // Act
    const response = await h.handler(runsEvent([message]), lambdaContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(h.emulator.getRun(runId)).toMatchObject({
      status: 'SUCCESS',
      summary: 'Deployed v1.2.3',
      link: ['https://ci.example/build/42'],
      statusLabel: 'Live',
      externalRunId: 'build-42',
    });
    expect(endingPatches(h, runId)).toHaveLength(1);
    expect(ok.timesRun(runId)).toBe(1);
  });

  it('reports SUCCESS with a default summary when the handler returns nothing', async () => {
    // Prepare
    const quiet = countingAction('returns_nothing', async () => undefined);
    h = await createHarness({ actions: [quiet.action] });
    const { runId, message } = newRun(h, 'returns_nothing');

    // Act
    await h.handler(runsEvent([message]), lambdaContext());

    // Assess
    expect(h.emulator.getRun(runId)?.status).toBe('SUCCESS');
    expect(h.emulator.getRun(runId)?.summary).toMatch(/^returns_nothing succeeded in \d+\.\d s$/);
  });

  it('reports FAILURE with a readable summary and a final log when the handler throws', async () => {
    // Prepare
    class QuotaError extends Error {
      override name = 'QuotaError';
    }
    const broken = countingAction('throws', async (_input, ctx) => {
      await ctx.log('Checking quota');
      throw new QuotaError('quota of 10 VMs reached in eu-west-1');
    });
    h = await createHarness({ actions: [broken.action] });
    const { runId, message } = newRun(h, 'throws');

    // Act
    const response = await h.handler(runsEvent([message]), lambdaContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const run = h.emulator.getRun(runId);
    expect(run?.status).toBe('FAILURE');
    expect(run?.summary).toBe('throws failed: quota of 10 VMs reached in eu-west-1');
    const logs = h.emulator.logs(runId).map((l) => l.message);
    expect(logs).toHaveLength(3);
    expect(logs[1]).toBe('Checking quota');
    expect(logs[2]).toMatch(/^Failed after \d+\.\d s: QuotaError: quota of 10 VMs reached in eu-west-1$/);
    // The final log is sent before the run ends.
    const reqs = runRequests(h, runId);
    const lastLog = reqs.findLastIndex((r) => r.method === 'POST');
    const end = reqs.findIndex((r) => r.method === 'PATCH' && bodyOf(r).status === 'FAILURE');
    expect(lastLog).toBeLessThan(end);
    expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'failed', reason: 'handler-error' })]);
    expect(h.parker.records).toEqual([]);
  });

  it('reports FAILURE naming the invalid input and does not call the handler', async () => {
    // Prepare
    h = await createHarness();
    const { runId, message } = newRun(h, 'create_vm', { cpu: 'two', memory: 4, storage: 50, region: 'eu-west-1' });

    // Act
    await h.handler(runsEvent([message]), lambdaContext());

    // Assess
    const run = h.emulator.getRun(runId);
    expect(run?.status).toBe('FAILURE');
    expect(run?.summary).toMatch(/^Invalid inputs: cpu: /);
    expect(h.emulator.logs(runId).at(-1)?.message).toMatch(/^The run's inputs do not match the action: cpu: /);
    expect(h.emulator.entitiesOfRun(runId)).toEqual([]);
    expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'failed', reason: 'invalid-inputs' })]);
  });

  it('reports FAILURE saying no handler is registered when the unknown-action policy is fail', async () => {
    // Prepare
    h = await createHarness({ config: { unknownAction: 'fail' } });
    const { runId, message } = newRun(h, 'launch_rocket');

    // Act
    await h.handler(runsEvent([message]), lambdaContext());

    // Assess
    const run = h.emulator.getRun(runId);
    expect(run?.status).toBe('FAILURE');
    expect(run?.summary).toBe('No handler for action "launch_rocket" is registered in this backend (port-kafka-lambda-test)');
    expect(h.emulator.logs(runId).map((l) => l.message)).toEqual([run?.summary]);
    expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'failed', reason: 'unknown-action' })]);
  });

  it('leaves the run untouched in Port when the unknown-action policy is skip', async () => {
    // Prepare
    h = await createHarness({ config: { unknownAction: 'skip' } });
    const { runId, message } = newRun(h, 'launch_rocket');

    // Act
    await h.handler(runsEvent([message]), lambdaContext());

    // Assess
    expect(h.emulator.getRun(runId)?.status).toBe('IN_PROGRESS');
    expect(runRequests(h, runId)).toEqual([]);
    expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'skipped', reason: 'unknown-action' })]);
  });

  it('decrypts secret inputs and keeps the plaintext out of logs, summaries and Port run logs', async () => {
    // Prepare
    const secret = 'hunter2-Pa55w0rd!';
    let decrypted: string | undefined;
    const secretive = countingAction('uses_secret', async (_input, ctx) => {
      decrypted = await ctx.decrypt('db_password');
      await ctx.log(`Connecting with ${decrypted}`);
      await ctx.setStatusLabel(`Using ${decrypted}`);
      await ctx.addLink(`https://db.example.com/?pw=${decrypted}`);
      return { summary: `Rotated ${decrypted} successfully`, externalRunId: `job-${decrypted}`, statusLabel: `Done ${decrypted}` };
    });
    const leaky = countingAction('leaks_secret', async (_input, ctx) => {
      const value = await ctx.decrypt('api_key');
      throw new Error(`login rejected for key ${value}`);
    });
    h = await createHarness({ actions: [secretive.action, leaky.action], logLevel: 'DEBUG' });
    const a = newRun(h, 'uses_secret', { db_password: encryptSecret(secret), user: 'admin' });
    (a.message.payload as Record<string, unknown>).censoredProperties = ['db_password'];
    const b = newRun(h, 'leaks_secret', { api_key: encryptSecret(secret) });
    (b.message.payload as Record<string, unknown>).censoredProperties = ['api_key'];
    const logs = captureLogs();

    // Act
    try {
      await h.handler(runsEvent([a.message, b.message], 2), lambdaContext());
    } finally {
      logs.restore();
    }

    // Assess
    expect(decrypted).toBe(secret);
    expect(h.emulator.getRun(a.runId)).toMatchObject({
      status: 'SUCCESS',
      summary: 'Rotated [REDACTED] successfully',
      statusLabel: 'Done [REDACTED]',
      externalRunId: 'job-[REDACTED]',
      link: ['https://db.example.com/?pw=[REDACTED]'],
    });
    expect(h.emulator.logs(a.runId).map((l) => l.message)).toContain('Connecting with [REDACTED]');
    expect(h.emulator.getRun(b.runId)).toMatchObject({
      status: 'FAILURE',
      summary: 'leaks_secret failed: login rejected for key [REDACTED]',
    });
    expect(logs.text()).toContain('Action handler failed');
    expect(logs.text()).not.toContain(secret);
    expect(JSON.stringify(h.emulator.requests)).not.toContain(secret);
    expect(JSON.stringify([...h.emulator.runs.values()])).not.toContain(secret);
  });

  it('reports FAILURE when a handler asks to decrypt an input that is not encrypted', async () => {
    // Prepare
    const wrong = countingAction('decrypts_plain_input', async (_input, ctx) => {
      await ctx.decrypt('user');
    });
    h = await createHarness({ actions: [wrong.action] });
    const { runId, message } = newRun(h, 'decrypts_plain_input', { user: 'admin' });

    // Act
    await h.handler(runsEvent([message]), lambdaContext());

    // Assess
    expect(h.emulator.getRun(runId)?.summary).toBe('decrypts_plain_input failed: Input "user" is not one of the run\'s encrypted inputs');
  });

  it('runs handlers to completion when invoked without a Lambda deadline', async () => {
    // Prepare: a local invoke passes a context without getRemainingTimeInMillis.
    const slowish = countingAction('takes_a_moment', async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return { summary: 'finished' };
    });
    h = await createHarness({ actions: [slowish.action] });
    const { runId, message } = newRun(h, 'takes_a_moment');

    // Act
    await h.handler(runsEvent([message]), { functionName: 'local' } as Context);

    // Assess
    expect(h.emulator.getRun(runId)).toMatchObject({ status: 'SUCCESS', summary: 'finished' });
  });

  it('refuses context calls after the run was reported', async () => {
    // Prepare
    let late: Promise<void> | undefined;
    const lingering = countingAction('keeps_context', async (_input, ctx) => {
      late = new Promise<void>((resolve) => setTimeout(resolve, 20)).then(() => ctx.log('too late'));
      return { summary: 'returned early' };
    });
    h = await createHarness({ actions: [lingering.action] });
    const { runId, message } = newRun(h, 'keeps_context');

    // Act
    await h.handler(runsEvent([message]), lambdaContext());

    // Assess
    await expect(late).rejects.toBeInstanceOf(RunClosedError);
    expect(h.emulator.logs(runId).map((l) => l.message)).not.toContain('too late');
  });
});
