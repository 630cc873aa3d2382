import { afterEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_EMULATOR_CLIENT, startPortEmulator } from '../../src/emulator/index.js';
import type { CredentialsLoader, PortCredentials } from '../../src/port/credentials.js';
import { entryState } from '../../src/runs/ledger/ledger.js';
import { lambdaContext, runsEvent } from '../../src/testing/factories.js';
import { captureLogs } from '../../src/testing/logs.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { countingAction, endingPatches, newRun, runPath, runRequests } from './support.js';

const TOKEN_PATH = '/v1/auth/access_token';
const ROTATED: PortCredentials = { clientId: DEFAULT_EMULATOR_CLIENT.clientId, clientSecret: 'rotated-secret-0123456789abcdef0123' };

/**
 * A credentials loader standing in for Secrets Manager: returns `secrets` in
 * turn, moving to the next one when invalidated, and counts the reads.
 */
const secretStore = (...secrets: PortCredentials[]) => {
  let index = 0;
  let reads = 0;
  const loader: CredentialsLoader = Object.assign(
    async () => {
      reads += 1;
      return { ...(secrets[index] as PortCredentials) };
    },
    {
      invalidate: (stale: PortCredentials) => {
        if (secrets[index]?.clientSecret === stale.clientSecret) index = Math.min(index + 1, secrets.length - 1);
      },
    }
  );
  return { loader, reads: () => reads };
};

describe('every accepted run ends, whatever Port refuses', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  describe('refused calls during the action count as the action failing', () => {
    it('ends the run FAILURE with the refused log call as the reason', async () => {
      // Prepare: Port starts refusing this run's log lines once the action runs.
      let harness: Harness | undefined;
      const counter = countingAction('count_me', async ({ runId }, ctx) => {
        harness?.emulator.faults.push({ match: { method: 'POST', path: `${runPath(runId)}/logs` }, respond: { status: 403 } });
        await ctx.log('step 1');
        return { summary: 'not reached' };
      });
      h = harness = await createHarness({ actions: [counter.action] });
      const { runId, message } = newRun(h, 'count_me');

      // Act
      const response = await h.handler(runsEvent([message]), lambdaContext());

      // Assess
      expect(response).toEqual({ batchItemFailures: [] });
      expect(h.emulator.getRun(runId)).toMatchObject({
        status: 'FAILURE',
        summary: expect.stringMatching(/^count_me failed: Port API POST \/v1\/actions\/runs\/\S+\/logs answered 403/),
      });
      expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'failed', reason: 'handler-error' })]);
      expect(h.parker.records).toEqual([]);
    });

    it('ends the run FAILURE with the refused entity upsert as the reason', async () => {
      // Prepare
      let harness: Harness | undefined;
      const counter = countingAction('count_me', async ({ runId }, ctx) => {
        harness?.emulator.faults.push({ match: { method: 'POST', path: '/v1/blueprints/vm/entities' }, respond: { status: 422 } });
        await ctx.upsertEntity('vm', { identifier: `vm-${runId}` });
        return { summary: 'not reached' };
      });
      h = harness = await createHarness({ actions: [counter.action] });
      const { runId, message } = newRun(h, 'count_me');

      // Act
      await h.handler(runsEvent([message]), lambdaContext());

      // Assess
      expect(h.emulator.getRun(runId)).toMatchObject({
        status: 'FAILURE',
        summary: expect.stringMatching(/^count_me failed: Port API POST \/v1\/blueprints\/vm\/entities answered 422/),
      });
      expect(h.parker.records).toEqual([]);
    });
  });

  describe('refused calls around the action', () => {
    it('ends the run FAILURE without starting the action when Port refuses the pickup log', async () => {
      // Prepare
      const counter = countingAction('count_me');
      h = await createHarness({ actions: [counter.action] });
      const { runId, message } = newRun(h, 'count_me');
      h.emulator.faults.push({ match: { method: 'POST', path: `${runPath(runId)}/logs` }, respond: { status: 400 } });

      // Act
      await h.handler(runsEvent([message]), lambdaContext());

      // Assess
      expect(counter.executions).toEqual([]);
      expect(h.emulator.getRun(runId)).toMatchObject({
        status: 'FAILURE',
        summary: expect.stringMatching(
          /^Port refused the run's pickup log line, so the action was not started: PortApiError: .* answered 400/
        ),
      });
      expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'failed', reason: 'port-refused' })]);
      expect(h.parker.records).toEqual([]);
    });

    it.each([400, 422])('ends the run with a plain FAILURE saying why when Port refuses the final report with %i', async (status) => {
      // Prepare
      const counter = countingAction('count_me');
      h = await createHarness({ actions: [counter.action] });
      const { runId, message } = newRun(h, 'count_me');
      h.emulator.faults.push({ match: { method: 'PATCH', path: runPath(runId) }, respond: { status } });

      // Act
      await h.handler(runsEvent([message]), lambdaContext());

      // Assess
      expect(counter.timesRun(runId)).toBe(1);
      expect(h.emulator.getRun(runId)).toMatchObject({
        status: 'FAILURE',
        summary: expect.stringMatching(
          new RegExp(
            `^The action succeeded, but Port refused its report \\(PortApiError: Port API PATCH \\S+ answered ${status}.*\\)\\. Its summary: count_me done for ${runId}$`
          )
        ),
      });
      expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'failed', reason: 'report-refused' })]);
      // A 422 may mean the run had ended, so Port is asked first; a 400 cannot.
      expect(runRequests(h, runId).filter((r) => r.method === 'GET')).toHaveLength(status === 422 ? 2 : 1);
      expect(h.parker.records).toEqual([]);
    });

    it('ends the run with its status when Port refuses only the final log line', async () => {
      // Prepare
      let harness: Harness | undefined;
      const broken = countingAction('throws', async ({ runId }) => {
        harness?.emulator.faults.push({ match: { method: 'POST', path: `${runPath(runId)}/logs` }, respond: { status: 413 } });
        throw new Error('disk full');
      });
      h = harness = await createHarness({ actions: [broken.action] });
      const { runId, message } = newRun(h, 'throws');

      // Act
      await h.handler(runsEvent([message]), lambdaContext());

      // Assess
      expect(h.emulator.getRun(runId)).toMatchObject({ status: 'FAILURE', summary: 'throws failed: disk full' });
      expect(h.emulator.logs(runId).filter((l) => l.message.startsWith('Failed after'))).toEqual([]);
      expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'failed', reason: 'handler-error' })]);
    });
  });

  describe('a 422 on the ending PATCH', () => {
    it('leaves the record for a retry, not a refusal, when Port cannot say whether the run ended; the retry finds it ended', async () => {
      // Prepare: the final PATCH is applied but its answer lost; the client's retry gets 422 and the status check finds Port down.
      let harness: Harness | undefined;
      const counter = countingAction('count_me', async ({ runId }) => {
        harness?.emulator.faults.push(
          { match: { method: 'PATCH', path: runPath(runId) }, respond: { drop: true, afterHandling: true } },
          { match: { method: 'GET', path: runPath(runId) }, times: 3, respond: { status: 503 } }
        );
        return { summary: 'done once' };
      });
      h = harness = await createHarness({ actions: [counter.action] });
      const { runId, message } = newRun(h, 'count_me');
      const event = runsEvent([message]);

      // Act
      const first = await h.handler(event, lambdaContext()).catch((error: unknown) => error);
      const firstOutcomes = h.lastOutcomes();
      const second = await h.handler(event, lambdaContext());

      // Assess
      expect(first).toBeInstanceOf(Error);
      expect(firstOutcomes).toEqual([
        expect.objectContaining({ status: 'retry', reason: 'transient', detail: expect.stringMatching(/^PortUnavailableError: .*GET/) }),
      ]);
      expect(second).toEqual({ batchItemFailures: [] });
      expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'succeeded', reason: 'report-resent' })]);
      expect(h.parker.records).toEqual([]);
      expect(counter.timesRun(runId)).toBe(1);
      expect(h.emulator.getRun(runId)).toMatchObject({ status: 'SUCCESS', summary: 'done once' });
      expect(h.emulator.endings.filter((e) => e.runId === runId)).toHaveLength(1);
    });
  });

  describe('when Port refuses even the PATCH that ends the run', () => {
    it('parks the record as run-not-ended with a log line an alarm can match, and re-reports without executing once Port takes it', async () => {
      // Prepare: the report and the plain FAILURE after it are both refused.
      const counter = countingAction('count_me');
      h = await createHarness({ actions: [counter.action], logLevel: 'ERROR' });
      const { runId, message } = newRun(h, 'count_me');
      const event = runsEvent([message]);
      h.emulator.faults.push({ match: { method: 'PATCH', path: runPath(runId) }, times: 2, respond: { status: 403 } });
      const logs = captureLogs();
      let response: unknown;
      try {
        // Act
        response = await h.handler(event, lambdaContext());
      } finally {
        logs.restore();
      }
      const statusWhileRefused = h.emulator.getRun(runId)?.status;
      const redelivered = await h.handler(event, lambdaContext());

      // Assess
      expect(response).toEqual({ batchItemFailures: [] });
      expect(statusWhileRefused).toBe('IN_PROGRESS');
      expect(h.parker.records).toEqual([
        expect.objectContaining({
          reason: 'run-not-ended',
          runId,
          detail: expect.stringMatching(
            /^RunNotEndedError: Port refused to end run \S+, so it stays IN_PROGRESS in Port: PortApiError: Port API PATCH \S+ answered 403/
          ),
        }),
      ]);
      expect(logs.entries()).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ message: 'Run could not be ended in Port; its record is parked', reason: 'run-not-ended', runId }),
        ])
      );
      expect(redelivered).toEqual({ batchItemFailures: [] });
      expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'succeeded', reason: 'report-resent' })]);
      expect(counter.timesRun(runId)).toBe(1);
      expect(h.emulator.getRun(runId)).toMatchObject({ status: 'SUCCESS', summary: `count_me done for ${runId}` });
      const entry = await h.ledger.get(runId);
      expect(entry && entryState(entry, Date.now())).toBe('delivered');
    });

    it('parks without executing or a second PATCH when Port refuses the credentials, reading an unchanged secret once per refusal', async () => {
      // Prepare: the secret holds credentials Port does not know, and re-reading it changes nothing.
      const wrong: PortCredentials = { clientId: 'someone-else', clientSecret: 'not-the-secret-0123456789abcdef012' };
      const store = secretStore(wrong);
      const counter = countingAction('count_me');
      h = await createHarness({ actions: [counter.action], credentials: store.loader });
      const { runId, message } = newRun(h, 'count_me');

      // Act
      const response = await h.handler(runsEvent([message]), lambdaContext());

      // Assess
      expect(response).toEqual({ batchItemFailures: [] });
      expect(counter.executions).toEqual([]);
      expect(h.parker.records).toEqual([
        expect.objectContaining({
          reason: 'run-not-ended',
          runId,
          detail: expect.stringMatching(/PortAuthError: Port refused the client credentials \(401/),
        }),
      ]);
      // Status check, final log, PATCH: each asked for a token once, and none reached the run.
      const tokens = h.emulator.requests.filter((r) => r.path === TOKEN_PATH);
      expect(tokens.map((r) => r.status)).toEqual([401, 401, 401]);
      expect(store.reads()).toBe(2 * tokens.length);
      expect(runRequests(h, runId)).toEqual([]);
    });
  });

  describe('credential rotation', () => {
    it('reads the secret again once when Port refuses the credentials it holds, and carries on', async () => {
      // Prepare: Port knows only the rotated secret; this container still holds the old one.
      const emulator = await startPortEmulator({ autoCreateRuns: false, clients: [ROTATED] });
      const store = secretStore({ ...DEFAULT_EMULATOR_CLIENT }, ROTATED);
      const counter = countingAction('count_me');
      h = await createHarness({ actions: [counter.action], emulator, credentials: store.loader });
      const first = newRun(h, 'count_me');
      const second = newRun(h, 'count_me');

      // Act
      await h.handler(runsEvent([first.message]), lambdaContext());
      await h.handler(runsEvent([second.message]), lambdaContext());

      // Assess
      for (const { runId } of [first, second]) {
        expect(h.emulator.getRun(runId)?.status).toBe('SUCCESS');
        expect(endingPatches(h, runId)).toHaveLength(1);
      }
      expect(h.emulator.requests.filter((r) => r.path === TOKEN_PATH).map((r) => r.status)).toEqual([401, 200]);
      expect(store.reads()).toBe(2);
      expect(h.parker.records).toEqual([]);
    });
  });
});
