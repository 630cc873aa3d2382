import { afterEach, describe, expect, it } from '@jest/globals';
import { startPortEmulator } from '../../src/emulator/index.js';
import { BatchRetryError } from '../../src/handler.js';
import { lambdaContext, runsEvent } from '../../src/testing/factories.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { countingAction, newRun, runPath, runRequests, sleep } from './support.js';

const TOKEN_PATH = '/v1/auth/access_token';

describe('Port calls made by the handler', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const tokenRequests = (harness: Harness) => harness.emulator.requests.filter((r) => r.path === TOKEN_PATH);
  const unauthorized = (harness: Harness) => harness.emulator.requests.filter((r) => r.status === 401);

  describe('access token', () => {
    it('fetches one token for concurrent partitions and reuses it in later invocations', async () => {
      // Prepare
      const counter = countingAction('count_me');
      h = await createHarness({ actions: [counter.action], config: { partitionConcurrency: 5 } });
      const harness = h;
      const batch = () =>
        runsEvent(
          Array.from({ length: 10 }, () => newRun(harness, 'count_me').message),
          5
        );

      // Act
      await h.handler(batch(), lambdaContext());
      await h.handler(batch(), lambdaContext());

      // Assess
      expect(counter.executions).toHaveLength(20);
      expect(tokenRequests(h)).toHaveLength(1);
      expect(unauthorized(h)).toEqual([]);
      expect(h.emulator.requests.filter((r) => r.path !== TOKEN_PATH).every((r) => r.headers.authorization === 'Bearer ***')).toBe(true);
    });

    it('fetches a new token once when Port rejects the cached one and carries on', async () => {
      // Prepare
      const counter = countingAction('count_me');
      h = await createHarness({ actions: [counter.action] });
      await h.handler(runsEvent([newRun(h, 'count_me').message]), lambdaContext());
      h.emulator.revokeTokens();
      const { runId, message } = newRun(h, 'count_me');

      // Act
      const response = await h.handler(runsEvent([message]), lambdaContext());

      // Assess
      expect(response).toEqual({ batchItemFailures: [] });
      expect(h.emulator.getRun(runId)?.status).toBe('SUCCESS');
      expect(tokenRequests(h)).toHaveLength(2);
      // The status check was refused once, then repeated with the new token.
      expect(
        runRequests(h, runId)
          .filter((r) => r.method === 'GET')
          .map((r) => r.status)
      ).toEqual([401, 200]);
    });

    it('refreshes a token before it expires instead of waiting for a 401', async () => {
      // Prepare
      const counter = countingAction('count_me');
      const emulator = await startPortEmulator({ autoCreateRuns: false, tokenTtlSeconds: 1 });
      h = await createHarness({ actions: [counter.action], emulator });
      await h.handler(runsEvent([newRun(h, 'count_me').message]), lambdaContext());
      await sleep(1_050);
      const { runId, message } = newRun(h, 'count_me');

      // Act
      await h.handler(runsEvent([message]), lambdaContext());

      // Assess
      expect(h.emulator.getRun(runId)?.status).toBe('SUCCESS');
      expect(tokenRequests(h)).toHaveLength(2);
      expect(unauthorized(h)).toEqual([]);
    });

    it('leaves the batch for a retry while the token endpoint is down', async () => {
      // Prepare
      const counter = countingAction('count_me');
      h = await createHarness({ actions: [counter.action] });
      const { runId, message } = newRun(h, 'count_me');
      h.emulator.faults.push({ match: { path: TOKEN_PATH }, times: 3, respond: { status: 503 } });

      // Act
      const first = await h.handler(runsEvent([message]), lambdaContext()).catch((error: unknown) => error);
      const second = await h.handler(runsEvent([message]), lambdaContext());

      // Assess
      expect(first).toBeInstanceOf(BatchRetryError);
      expect(second).toEqual({ batchItemFailures: [] });
      expect(tokenRequests(h).map((r) => r.status)).toEqual([503, 503, 503, 200]);
      expect(counter.timesRun(runId)).toBe(1);
    });
  });

  describe('retries', () => {
    it('retries a transient failure and goes on with the run', async () => {
      // Prepare
      const counter = countingAction('count_me');
      h = await createHarness({ actions: [counter.action] });
      const { runId, message } = newRun(h, 'count_me');
      h.emulator.faults.push({ match: { method: 'GET', path: runPath(runId) }, times: 2, respond: { status: 503 } });
      h.emulator.faults.push({ match: { method: 'POST', path: `${runPath(runId)}/logs` }, respond: { status: 429 } });

      // Act
      const response = await h.handler(runsEvent([message]), lambdaContext());

      // Assess
      expect(response).toEqual({ batchItemFailures: [] });
      expect(counter.timesRun(runId)).toBe(1);
      expect(h.emulator.getRun(runId)?.status).toBe('SUCCESS');
      expect(runRequests(h, runId).map((r) => `${r.method} ${r.status}`)).toEqual([
        'GET 503',
        'GET 503',
        'GET 200',
        'POST 429',
        'POST 201',
        'PATCH 200',
      ]);
    });

    it('stops after the configured number of retries and leaves the record for a batch retry', async () => {
      // Prepare
      const counter = countingAction('count_me');
      h = await createHarness({ actions: [counter.action], retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 5, budgetMs: 2_000 } });
      const { runId, message } = newRun(h, 'count_me');
      h.emulator.faults.push({ match: { method: 'GET', path: runPath(runId) }, times: 50, respond: { status: 500 } });

      // Act
      const error = await h.handler(runsEvent([message]), lambdaContext()).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(BatchRetryError);
      expect(runRequests(h, runId).map((r) => r.status)).toEqual([500, 500, 500, 500]);
      expect(h.emulator.faults[0]?.times).toBe(46);
      expect(counter.executions).toEqual([]);
    });

    it('does not wait past the call budget when Port asks to retry later', async () => {
      // Prepare
      const counter = countingAction('count_me');
      // A budget of seconds (the invocation itself takes a few ms) so that a busy machine cannot
      // reach it: a call that waited, for Retry-After or for the budget, would.
      h = await createHarness({ actions: [counter.action], retry: { retries: 5, baseDelayMs: 5, maxDelayMs: 20, budgetMs: 3_000 } });
      const { runId, message } = newRun(h, 'count_me');
      h.emulator.faults.push({
        match: { method: 'GET', path: runPath(runId) },
        respond: { status: 429, headers: { 'retry-after': '30' } },
      });
      const startedAt = Date.now();

      // Act
      const error = await h.handler(runsEvent([message]), lambdaContext()).catch((e: unknown) => e);

      // Assess
      expect(Date.now() - startedAt).toBeLessThan(3_000);
      expect(error).toBeInstanceOf(BatchRetryError);
      expect((error as BatchRetryError).report.outcomes[0]?.detail).toMatch(
        /after 1 attempt\(s\), last: status 429 \(time budget exhausted\)/
      );
      expect(runRequests(h, runId)).toHaveLength(1);
    });

    it('cuts a call that hangs at the call budget', async () => {
      // Prepare
      const counter = countingAction('count_me');
      h = await createHarness({ actions: [counter.action], retry: { retries: 5, baseDelayMs: 5, maxDelayMs: 20, budgetMs: 300 } });
      const { runId, message } = newRun(h, 'count_me');
      h.emulator.faults.push({ match: { method: 'GET', path: runPath(runId) }, respond: { delayMs: 800 } });
      const startedAt = Date.now();

      // Act
      const error = await h.handler(runsEvent([message]), lambdaContext()).catch((e: unknown) => e);

      // Assess: cut at the budget, not before; and before the emulator answered (its 800 ms
      // timer, in this same process, fires after the client's 300 ms one however busy the
      // machine is), which a wall-clock upper bound could only approximate.
      const elapsed = Date.now() - startedAt;
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(runRequests(h, runId).map((r) => [r.method, r.fault, r.status])).toEqual([['GET', 'delay', undefined]]);
      expect(error).toBeInstanceOf(BatchRetryError);
      expect(counter.executions).toEqual([]);
    });

    it('does not retry an answer that will not change and ends the run FAILURE with the reason instead of parking it', async () => {
      // Prepare
      const counter = countingAction('count_me');
      h = await createHarness({ actions: [counter.action] });
      const { runId, message } = newRun(h, 'count_me');
      h.emulator.faults.push({ match: { method: 'GET', path: runPath(runId) }, times: 5, respond: { status: 403 } });

      // Act
      const response = await h.handler(runsEvent([message]), lambdaContext());

      // Assess
      expect(response).toEqual({ batchItemFailures: [] });
      // One refused status check (not retried), then the final log and the PATCH that ends the run.
      expect(runRequests(h, runId).map((r) => `${r.method} ${r.status}`)).toEqual(['GET 403', 'POST 201', 'PATCH 200']);
      expect(counter.executions).toEqual([]);
      expect(h.emulator.getRun(runId)).toMatchObject({
        status: 'FAILURE',
        summary: expect.stringMatching(
          /^Port refused this backend's status check of the run, so it was not started: PortApiError: Port API GET \/v1\/actions\/runs\/\S+ answered 403/
        ),
      });
      expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'failed', reason: 'port-refused', offset: 100 })]);
      expect(h.parker.records).toEqual([]);
    });
  });
});
