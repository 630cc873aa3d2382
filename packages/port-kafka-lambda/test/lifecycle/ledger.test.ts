import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ActionDefinition } from '../../src/actions/define.js';
import { startPortEmulator } from '../../src/emulator/index.js';
import { BatchRetryError } from '../../src/handler.js';
import { CLAIM_GRACE_MS, INTERRUPTED_SUMMARY } from '../../src/runs/execute.js';
import { DynamoRunLedger } from '../../src/runs/ledger/dynamodb.js';
import { entryState } from '../../src/runs/ledger/ledger.js';
import { lambdaContext, runsEvent } from '../../src/testing/factories.js';
import { type DynamoDbServer, startDynamoDb } from '../helpers/dynamodb.js';
import { createHarness } from '../helpers/harness.js';
import { countingAction, endingPatches, newRun, runPath, runRequests } from './support.js';

const MINUTE = 60_000;
/** What the test Lambda context gives each invocation (lambdaContext's default). */
const REMAINING_MS = 300_000;

/** A promise the test opens when it wants to. */
const gate = () => {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
};

let db: DynamoDbServer;
beforeAll(async () => {
  db = await startDynamoDb();
});
afterAll(async () => {
  await db.close();
});

/**
 * Two "containers": two handlers with their own Port clients and DynamoDB
 * clients, sharing only the ledger table and Port. `bClockAheadMs` puts B's
 * clock later, which is how the tests let A's claim lapse without waiting.
 */
const twoContainers = async (actions: readonly ActionDefinition[], bClockAheadMs = 0) => {
  const table = await db.createLedgerTable();
  const emulator = await startPortEmulator({ autoCreateRuns: false });
  const bNow = () => Date.now() + bClockAheadMs;
  const a = await createHarness({ actions, emulator, ledger: db.ledger(table) });
  const b = await createHarness({ actions, emulator, ledger: db.ledger(table, bNow), now: bNow });
  return { a, b, emulator, ledger: db.ledger(table), close: () => emulator.close() };
};

describe('the run ledger across containers (DynamoDB)', () => {
  it('leaves a run that container A is executing to A: B neither executes nor reports it', async () => {
    // Prepare
    const started = gate();
    const release = gate();
    const counter = countingAction('count_me', async () => {
      started.open();
      await release.opened;
      return { summary: 'done by A' };
    });
    const { a, b, emulator, ledger, close } = await twoContainers([counter.action]);
    const { runId, message } = newRun(a, 'count_me');
    const event = runsEvent([message]);
    const acceptedAt = Date.now();
    const onA = a.handler(event, lambdaContext());
    await started.opened;

    // Act
    const whileARuns = await b.handler(event, lambdaContext()).catch((error: unknown) => error);
    release.open();
    await onA;
    const afterA = await b.handler(event, lambdaContext());

    // Assess
    expect(whileARuns).toBeInstanceOf(BatchRetryError);
    expect(b.reports[0]?.outcomes).toEqual([
      expect.objectContaining({
        status: 'retry',
        detail: expect.stringMatching(/^RunClaimedError: Run \S+ is being executed by port-kafka-lambda-test\/\w+ /),
      }),
    ]);
    expect(afterA).toEqual({ batchItemFailures: [] });
    expect(b.lastOutcomes()).toEqual([expect.objectContaining({ status: 'skipped', reason: 'already-ended' })]);
    expect(counter.timesRun(runId)).toBe(1);
    expect(emulator.getRun(runId)).toMatchObject({ status: 'SUCCESS', summary: 'done by A' });
    expect(endingPatches(a, runId)).toHaveLength(1);
    expect(emulator.logs(runId).filter((l) => l.message.startsWith('Picked up'))).toHaveLength(1);
    // A's claim lapsed at its deadline (plus the grace), and the run is settled.
    const entry = await ledger.get(runId);
    expect(entry?.expiresAt).toBeGreaterThanOrEqual(acceptedAt + REMAINING_MS - 1_000);
    expect(entry?.expiresAt).toBeLessThanOrEqual(Date.now() + REMAINING_MS + CLAIM_GRACE_MS);
    expect(entry && entryState(entry, Date.now())).toBe('delivered');
    await close();
  });

  it("reports FAILURE for a run whose claimant died (onInterrupted: 'fail', the default), and a late result from it is dropped", async () => {
    // Prepare: A starts the run and never finishes it while the test looks; B runs 20 minutes later.
    const started = gate();
    const zombie = gate();
    const counter = countingAction('count_me', async () => {
      started.open();
      await zombie.opened;
      return { summary: 'late result from A' };
    });
    const { a, b, emulator, ledger, close } = await twoContainers([counter.action], 20 * MINUTE);
    const { runId, message } = newRun(a, 'count_me');
    const event = runsEvent([message]);
    const onA = a.handler(event, lambdaContext());
    await started.opened;

    // Act
    const response = await b.handler(event, lambdaContext());
    zombie.open();
    await onA;

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(b.lastOutcomes()).toEqual([expect.objectContaining({ status: 'failed', reason: 'interrupted', runId })]);
    expect(counter.timesRun(runId)).toBe(1);
    expect(emulator.getRun(runId)).toMatchObject({ status: 'FAILURE', summary: INTERRUPTED_SUMMARY });
    expect(INTERRUPTED_SUMMARY).toBe('interrupted: the backend stopped while the run was in progress; not retried automatically');
    expect(
      emulator
        .logs(runId)
        .map((l) => l.message)
        .at(-1)
    ).toMatch(
      /^Interrupted: port-kafka-lambda-test\/\w+ claimed it at \S+ and stopped before reporting it \(the claim lapsed at \S+\)\. The action does not declare onInterrupted: 'rerun', so it is not run again\.$/
    );
    // A came back after all: it does not overwrite what B reported.
    expect(a.lastOutcomes()).toEqual([expect.objectContaining({ status: 'skipped', reason: 'claim-lost' })]);
    expect(endingPatches(a, runId)).toHaveLength(1);
    expect(await ledger.get(runId)).toMatchObject({ attempt: 2, report: { patch: { status: 'FAILURE', summary: INTERRUPTED_SUMMARY } } });
    await close();
  });

  it("runs again a run whose claimant died when the action declares onInterrupted: 'rerun'", async () => {
    // Prepare
    const started = gate();
    const zombie = gate();
    let calls = 0;
    const counter = countingAction('count_me', async ({ runId }) => {
      calls += 1;
      if (calls === 1) {
        started.open();
        await zombie.opened;
      }
      return { summary: `attempt ${calls} done for ${runId}` };
    });
    const idempotent = { ...counter.action, onInterrupted: 'rerun' as const };
    const { a, b, emulator, close } = await twoContainers([idempotent], 20 * MINUTE);
    const { runId, message } = newRun(a, 'count_me');
    const event = runsEvent([message]);
    const onA = a.handler(event, lambdaContext());
    await started.opened;

    // Act
    const response = await b.handler(event, lambdaContext());
    zombie.open();
    await onA;

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(b.lastOutcomes()).toEqual([expect.objectContaining({ status: 'succeeded', reason: 'succeeded' })]);
    expect(counter.timesRun(runId)).toBe(2);
    expect(emulator.getRun(runId)).toMatchObject({ status: 'SUCCESS', summary: `attempt 2 done for ${runId}` });
    expect(
      emulator
        .logs(runId)
        .filter((l) => l.message.startsWith('Picked up'))
        .map((l) => l.message)
    ).toEqual([expect.not.stringContaining('interrupted'), expect.stringMatching(/\(attempt 2: the previous attempt was interrupted\)$/)]);
    expect(a.lastOutcomes()).toEqual([expect.objectContaining({ reason: 'claim-lost' })]);
    expect(endingPatches(a, runId)).toHaveLength(1);
    await close();
  });

  it('re-reports on container B, without executing, a result A stored but could not deliver', async () => {
    // Prepare: every attempt of A's final PATCH fails (the harness client makes 3).
    const counter = countingAction('count_me');
    const { a, b, emulator, close } = await twoContainers([counter.action]);
    const { runId, message } = newRun(a, 'count_me');
    const event = runsEvent([message]);
    emulator.faults.push({ match: { method: 'PATCH', path: runPath(runId) }, times: 3, respond: { status: 503 } });
    const onA = await a.handler(event, lambdaContext()).catch((error: unknown) => error);
    const requestsBefore = runRequests(a, runId).length;

    // Act
    const response = await b.handler(event, lambdaContext());

    // Assess
    expect(onA).toBeInstanceOf(BatchRetryError);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(b.lastOutcomes()).toEqual([expect.objectContaining({ status: 'succeeded', reason: 'report-resent' })]);
    expect(counter.timesRun(runId)).toBe(1);
    expect(emulator.getRun(runId)).toMatchObject({ status: 'SUCCESS', summary: `count_me done for ${runId}` });
    // B sent only the report: no status check, no pickup log.
    expect(
      runRequests(b, runId)
        .slice(requestsBefore)
        .map((r) => `${r.method} ${r.status}`)
    ).toEqual(['PATCH 200']);
    await close();
  });

  it('lets B execute normally a run whose claim A gave back because Port failed before the action started', async () => {
    // Prepare: A cannot get the run's status (3 × 503), so it releases its claim.
    const counter = countingAction('count_me');
    const { a, b, emulator, ledger, close } = await twoContainers([counter.action]);
    const { runId, message } = newRun(a, 'count_me');
    const event = runsEvent([message]);
    emulator.faults.push({ match: { method: 'GET', path: runPath(runId) }, times: 3, respond: { status: 503 } });
    const onA = await a.handler(event, lambdaContext()).catch((error: unknown) => error);
    const afterA = await ledger.get(runId);

    // Act
    const response = await b.handler(event, lambdaContext());

    // Assess
    expect(onA).toBeInstanceOf(BatchRetryError);
    expect(afterA).toBeUndefined();
    expect(response).toEqual({ batchItemFailures: [] });
    expect(b.lastOutcomes()).toEqual([expect.objectContaining({ status: 'succeeded', reason: 'succeeded' })]);
    expect(counter.timesRun(runId)).toBe(1);
    expect(await ledger.get(runId)).toMatchObject({ attempt: 1, deliveredAt: expect.any(Number) });
    await close();
  });
});

describe('when the run ledger itself fails', () => {
  it('leaves the record for a retry, executing nothing and telling Port nothing, while DynamoDB cannot be reached', async () => {
    // Prepare: a port nobody listens on, and no SDK retries so the test stays quick.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: db.region,
      credentials: db.credentials,
      maxAttempts: 1,
    });
    const counter = countingAction('count_me');
    const h = await createHarness({ actions: [counter.action], ledger: new DynamoRunLedger({ tableName: 'unreachable', client }) });
    const { runId, message } = newRun(h, 'count_me');

    // Act
    const error = await h.handler(runsEvent([message]), lambdaContext()).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(BatchRetryError);
    expect(h.lastOutcomes()).toEqual([
      expect.objectContaining({
        status: 'retry',
        detail: expect.stringMatching(/^RunLedgerError: Run ledger claim on table unreachable failed: /),
      }),
    ]);
    expect(counter.executions).toEqual([]);
    expect(runRequests(h, runId)).toEqual([]);
    client.destroy();
    await h.close();
  });

  it('ends the run FAILURE with the reason when the ledger table does not exist (a deployment error a retry will not fix)', async () => {
    // Prepare
    const counter = countingAction('count_me');
    const h = await createHarness({ actions: [counter.action], ledger: db.ledger('no-such-table') });
    const { runId, message } = newRun(h, 'count_me');

    // Act
    const response = await h.handler(runsEvent([message]), lambdaContext());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(counter.executions).toEqual([]);
    expect(h.emulator.getRun(runId)).toMatchObject({
      status: 'FAILURE',
      summary: expect.stringMatching(
        /^The backend could not record the run in its run ledger, so it did not start it: Run ledger claim on table no-such-table failed: ResourceNotFoundException/
      ),
    });
    expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'failed', reason: 'ledger-error' })]);
    await h.close();
  });

  it('keeps no entry for a run Port does not know, so a redelivery asks Port again', async () => {
    // Prepare
    const table = await db.createLedgerTable();
    const counter = countingAction('count_me');
    const h = await createHarness({ actions: [counter.action], ledger: db.ledger(table) });
    const { runId, message } = newRun(h, 'count_me');
    h.emulator.runs.delete(runId);

    // Act
    await h.handler(runsEvent([message]), lambdaContext());
    await h.handler(runsEvent([message]), lambdaContext());

    // Assess
    expect(h.reports.map((r) => r.outcomes[0]?.reason)).toEqual(['run-not-found', 'run-not-found']);
    expect(await db.ledger(table).get(runId)).toBeUndefined();
    expect(counter.executions).toEqual([]);
    await h.close();
  });
});
