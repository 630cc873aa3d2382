import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../../src/emulator/index.js';
import { ConfigError } from '../../src/errors.js';
import { createLogger } from '../../src/logging/logger.js';
import { createPortClient, type PortClient } from '../../src/port/client.js';
import { INTERRUPTED_SUMMARY } from '../../src/runs/execute.js';
import type { DynamoRunLedger } from '../../src/runs/ledger/dynamodb.js';
import { entryState, type InterruptPolicy } from '../../src/runs/ledger/ledger.js';
import { createSweeperHandler, SweepIncompleteError } from '../../src/sweeper/lambda.js';
import { createSweeper, rerunNotRetriedSummary, type SweeperOptions } from '../../src/sweeper/sweep.js';
import { lambdaContext, runsEvent, v1Run } from '../../src/testing/factories.js';
import { captureLogs } from '../../src/testing/logs.js';
import { type DynamoDbServer, startDynamoDb } from '../helpers/dynamodb.js';
import { createHarness } from '../helpers/harness.js';
import { countingAction, runPath } from '../lifecycle/support.js';

const MINUTE = 60_000;

let db: DynamoDbServer;
beforeAll(async () => {
  db = await startDynamoDb();
});
afterAll(async () => {
  await db.close();
});

let emu: PortEmulator;
let port: PortClient;
let table: string;
let ledger: DynamoRunLedger;

beforeEach(async () => {
  emu = await startPortEmulator();
  port = createPortClient({
    baseUrl: emu.url,
    credentials: async () => DEFAULT_EMULATOR_CLIENT,
    retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
  });
  table = await db.createLedgerTable();
  ledger = db.ledger(table);
});

afterEach(async () => {
  port.close();
  await emu.close();
});

const logger = createLogger({ logLevel: 'SILENT' });

/** A sweeper over the test's emulator and ledger; `aheadMs` moves its clock forward. */
const sweeper = (options: Partial<SweeperOptions> & { aheadMs?: number } = {}) => {
  const { aheadMs = 0, ...rest } = options;
  const now = () => Date.now() + aheadMs;
  return createSweeper({
    ledger: db.ledger(table, now),
    port,
    logger,
    actions: [],
    staleRunMaxAgeMs: 60 * MINUTE,
    rerunGraceMs: 30 * MINUTE,
    now,
    ...rest,
  });
};

/** A claim by a container that died: it lapsed `lapsedMinutesAgo` minutes ago with no result. */
const deadClaim = async (runId: string, action: string, policy: InterruptPolicy, lapsedMinutesAgo = 1) => {
  emu.createRun({ id: runId, action });
  // The claimant's clock: it claimed long enough ago for its claim to have lapsed by now.
  const past = db.ledger(table, () => Date.now() - (lapsedMinutesAgo + 10) * MINUTE);
  await past.claim(runId, {
    owner: 'consumer/dead0001',
    expiresAt: Date.now() - lapsedMinutesAgo * MINUTE,
    action,
    policy,
    record: { topic: 'org_x.runs', partition: 3, offset: 42 },
  });
};

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * MINUTE).toISOString();

describe('sweeper: lapsed claims', () => {
  it("ends a lapsed 'fail' claim FAILURE with the executor's interrupted report, once, and a later redelivery neither executes nor reports it", async () => {
    // Prepare
    await deadClaim('r_fail1', 'count_me', 'fail');
    const counter = countingAction('count_me');

    // Act
    const first = await sweeper().sweep();
    const second = await sweeper().sweep();
    const h = await createHarness({ actions: [counter.action], emulator: emu, ledger: db.ledger(table) });
    const redelivered = await h.handler(runsEvent([v1Run('count_me', {}, 'r_fail1')]), lambdaContext());

    // Assess
    expect(first).toMatchObject({ lapsedClaims: 1, interrupted: 1, errors: 0 });
    expect(second).toMatchObject({ lapsedClaims: 0, interrupted: 0 });
    expect(emu.getRun('r_fail1')).toMatchObject({ status: 'FAILURE', summary: INTERRUPTED_SUMMARY });
    expect(emu.logs('r_fail1').map((l) => l.message)).toEqual([
      expect.stringMatching(
        /^Interrupted: consumer\/dead0001 claimed it at \S+ and stopped before reporting it \(the claim lapsed at \S+\)\. The action does not declare onInterrupted: 'rerun', so it is not run again\.$/
      ),
    ]);
    expect(emu.endings.filter((e) => e.runId === 'r_fail1')).toHaveLength(1);
    const entry = await ledger.get('r_fail1');
    expect(entry && entryState(entry, Date.now())).toBe('delivered');
    expect(entry).toMatchObject({
      report: { patch: { status: 'FAILURE', summary: INTERRUPTED_SUMMARY } },
      topic: 'org_x.runs',
      partition: 3,
      offset: 42,
    });
    expect(redelivered).toEqual({ batchItemFailures: [] });
    expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'skipped', reason: 'already-ended' })]);
    expect(counter.executions).toEqual([]);
  });

  it("leaves a lapsed 'rerun' claim for a redelivery during the grace, and ends it saying it was not run again after", async () => {
    // Prepare: lapsed 5 minutes ago; grace 30 minutes
    await deadClaim('r_rerun1', 'idempotent', 'rerun', 5);

    // Act
    const within = await sweeper().sweep();
    const statusWithin = emu.getRun('r_rerun1')?.status;
    const after = await sweeper({ aheadMs: 26 * MINUTE }).sweep();

    // Assess
    expect(within).toMatchObject({ lapsedClaims: 1, rerunWaiting: 1, rerunEnded: 0 });
    expect(statusWithin).toBe('IN_PROGRESS');
    expect(emu.requests.filter((r) => r.path === runPath('r_rerun1') && r.method === 'PATCH')).toHaveLength(1);
    expect(after).toMatchObject({ lapsedClaims: 1, rerunWaiting: 0, rerunEnded: 1 });
    expect(emu.getRun('r_rerun1')).toMatchObject({ status: 'FAILURE', summary: rerunNotRetriedSummary(30 * MINUTE) });
    expect(rerunNotRetriedSummary(30 * MINUTE)).toBe(
      "interrupted: the backend stopped while the run was in progress; it was not run again, because no retry of its record came within 30 minutes (onInterrupted: 'rerun')"
    );
  });

  it('only marks done a run whose lapsed claim a redelivery already ended in Port: no PATCH, no log', async () => {
    await deadClaim('r_done1', 'count_me', 'fail');
    emu.getRun('r_done1')!.status = 'SUCCESS';

    const report = await sweeper().sweep();

    expect(report).toMatchObject({ lapsedClaims: 1, interrupted: 0, alreadyEnded: 1 });
    expect(emu.requests.filter((r) => r.path.startsWith(runPath('r_done1')) && r.method !== 'GET')).toEqual([]);
    const entry = await ledger.get('r_done1');
    expect(entry && entryState(entry, Date.now())).toBe('delivered');
  });

  it('hands the claim back when Port cannot be reached, and the next pass ends the run exactly once', async () => {
    // Prepare: every PATCH attempt of the first pass fails (3 attempts)
    await deadClaim('r_flaky1', 'count_me', 'fail');
    emu.faults.push({ match: { method: 'PATCH', path: runPath('r_flaky1') }, times: 3, respond: { status: 503 } });

    // Act
    const first = await sweeper().sweep();
    const statusAfterFirst = emu.getRun('r_flaky1')?.status;
    const second = await sweeper().sweep();

    // Assess
    expect(first).toMatchObject({ lapsedClaims: 1, interrupted: 0, errors: 1 });
    expect(statusAfterFirst).toBe('IN_PROGRESS');
    expect(second).toMatchObject({ lapsedClaims: 1, interrupted: 1, errors: 0 });
    expect(emu.getRun('r_flaky1')).toMatchObject({ status: 'FAILURE', summary: INTERRUPTED_SUMMARY });
    expect(emu.endings.filter((e) => e.runId === 'r_flaky1')).toHaveLength(1);
  });

  it('logs a refused ending with reason run-not-ended (what the RunsNotEnded metric filter counts) and tries again next pass', async () => {
    await deadClaim('r_refused1', 'count_me', 'fail');
    emu.faults.push({ match: { method: 'PATCH', path: runPath('r_refused1') }, times: 2, respond: { status: 403 } });
    const logs = captureLogs();
    let first;
    try {
      first = await createSweeper({
        ledger: db.ledger(table),
        port,
        logger: createLogger(),
        actions: [],
        staleRunMaxAgeMs: 0,
        rerunGraceMs: 0,
      }).sweep();
    } finally {
      logs.restore();
    }
    const second = await sweeper().sweep();

    expect(first).toMatchObject({ lapsedClaims: 1, errors: 1 });
    expect(logs.entries()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'ERROR',
          message: 'Run could not be ended in Port; the next sweep tries again',
          reason: 'run-not-ended',
          runId: 'r_refused1',
        }),
      ])
    );
    expect(second).toMatchObject({ interrupted: 1, errors: 0 });
    expect(emu.getRun('r_refused1')).toMatchObject({ status: 'FAILURE', summary: INTERRUPTED_SUMMARY });
  });
});

describe('sweeper: runs left IN_PROGRESS in Port', () => {
  it('ends the stale runs of its actions that it never started, sends a stored report, and leaves the rest alone', async () => {
    // Prepare
    emu.createRun({ id: 'r_lost', action: 'deploy', createdAt: minutesAgo(90) });
    emu.createRun({ id: 'r_running', action: 'deploy', createdAt: minutesAgo(90) });
    await ledger.claim('r_running', { owner: 'consumer/alive001', expiresAt: Date.now() + 5 * MINUTE, action: 'deploy', policy: 'fail' });
    emu.createRun({ id: 'r_stored', action: 'deploy', createdAt: minutesAgo(90) });
    await ledger.claim('r_stored', { owner: 'consumer/gone0001', expiresAt: Date.now() + 5 * MINUTE, action: 'deploy', policy: 'fail' });
    await ledger.storeResult('r_stored', 'consumer/gone0001', {
      runId: 'r_stored',
      log: 'deployed v2',
      patch: { status: 'SUCCESS', summary: 'deployed' },
    });
    emu.createRun({ id: 'r_recent', action: 'deploy', createdAt: minutesAgo(10) });
    emu.createRun({ id: 'r_approval', action: 'deploy', status: 'WAITING_FOR_APPROVAL', createdAt: minutesAgo(90) });
    emu.createRun({ id: 'r_foreign', action: 'not_ours', createdAt: minutesAgo(90) });
    emu.createRun({ id: 'r_ended', action: 'deploy', status: 'SUCCESS', createdAt: minutesAgo(90) });

    // Act
    const report = await sweeper({ actions: ['deploy'] }).sweep();
    const counter = countingAction('deploy');
    const h = await createHarness({ actions: [counter.action], emulator: emu, ledger: db.ledger(table) });
    await h.handler(runsEvent([v1Run('deploy', {}, 'r_lost')]), lambdaContext());

    // Assess
    expect(report).toMatchObject({ staleSeen: 3, staleEnded: 1, reportsResent: 1, leftAlone: 1, errors: 0 });
    expect(emu.getRun('r_lost')).toMatchObject({
      status: 'FAILURE',
      summary: expect.stringMatching(
        /^not handled: the run stayed IN_PROGRESS for 90 minutes and this backend never started it \(its Kafka record was lost, skipped or never delivered\); ended by the sweeper$/
      ),
    });
    expect(emu.getRun('r_stored')).toMatchObject({ status: 'SUCCESS', summary: 'deployed' });
    expect(emu.logs('r_stored').map((l) => l.message)).toEqual(['deployed v2']);
    for (const id of ['r_running', 'r_recent', 'r_foreign']) expect(emu.getRun(id)?.status).toBe('IN_PROGRESS');
    expect(emu.getRun('r_approval')?.status).toBe('WAITING_FOR_APPROVAL');
    // The late record of the run the sweeper ended is not executed.
    expect(h.lastOutcomes()).toEqual([expect.objectContaining({ status: 'skipped', reason: 'already-ended' })]);
    expect(counter.executions).toEqual([]);
    expect(emu.requests.filter((r) => r.path === '/v1/actions/runs').map((r) => r.query)).toEqual([
      { version: 'v2', action: 'deploy', active: 'true', limit: '100' },
    ]);
  });

  it('reads every page of a long listing', async () => {
    for (let i = 0; i < 105; i++) emu.createRun({ id: `r_bulk${i}`, action: 'bulk', createdAt: minutesAgo(120 + i) });

    const report = await sweeper({ actions: ['bulk'] }).sweep();

    expect(report).toMatchObject({ staleSeen: 105, staleEnded: 105, errors: 0 });
    expect(emu.requests.filter((r) => r.path === '/v1/actions/runs')).toHaveLength(2);
    expect([...emu.runs.values()].filter((r) => r.status === 'IN_PROGRESS')).toEqual([]);
  });

  it('is off for a backend with BACKEND_ENVIRONMENT, and when the age limit is 0', async () => {
    emu.createRun({ id: 'r_staging', action: 'deploy', createdAt: minutesAgo(90) });

    const withEnvironment = await sweeper({ actions: ['deploy'], environment: 'staging' }).sweep();
    const withoutLimit = await sweeper({ actions: ['deploy'], staleRunMaxAgeMs: 0 }).sweep();

    expect(withEnvironment).toMatchObject({ staleSeen: 0, staleEnded: 0 });
    expect(withoutLimit).toMatchObject({ staleSeen: 0, staleEnded: 0 });
    expect(emu.requests.filter((r) => r.path === '/v1/actions/runs')).toEqual([]);
    expect(emu.getRun('r_staging')?.status).toBe('IN_PROGRESS');
  });
});

describe('sweeper Lambda handler', () => {
  const env = (overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    RUN_LEDGER_TABLE: table,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    AWS_REGION: db.region,
    AWS_ACCESS_KEY_ID: db.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: db.credentials.secretAccessKey,
    PORT_API_URL: emu.url,
    PORT_CLIENT_ID: DEFAULT_EMULATOR_CLIENT.clientId,
    PORT_CLIENT_SECRET: DEFAULT_EMULATOR_CLIENT.clientSecret,
    SWEEP_ACTIONS: 'deploy, count_me',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...overrides,
  });

  it('is wired from the environment like production: the DynamoDB ledger through AWS_ENDPOINT_URL_DYNAMODB, Port through PORT_API_URL', async () => {
    await deadClaim('r_env1', 'count_me', 'fail');
    emu.createRun({ id: 'r_env2', action: 'deploy', createdAt: minutesAgo(61) });
    const saved = { ...process.env };
    Object.assign(process.env, env());
    let report;
    try {
      report = await createSweeperHandler(env())();
    } finally {
      process.env = saved;
    }

    expect(report).toMatchObject({ interrupted: 1, staleEnded: 1, errors: 0 });
    expect(emu.getRun('r_env1')?.summary).toBe(INTERRUPTED_SUMMARY);
    expect(emu.getRun('r_env2')?.status).toBe('FAILURE');
  });

  it('fails the invocation (so the errors alarm fires) when a run could not be handled', async () => {
    await deadClaim('r_env3', 'count_me', 'fail');
    emu.faults.push({ match: { method: 'PATCH' }, times: 10, respond: { status: 500 } });

    const outcome = await createSweeperHandler(env(), { port, ledger, logger })().catch((error: unknown) => error);

    expect(outcome).toBeInstanceOf(SweepIncompleteError);
    expect((outcome as SweepIncompleteError).report).toMatchObject({ lapsedClaims: 1, errors: 1 });
    expect(emu.getRun('r_env3')?.status).toBe('IN_PROGRESS');
    expect(emu.endings).toEqual([]);
  });

  it('refuses a bad configuration at cold start, one line per variable', () => {
    const attempt = () =>
      createSweeperHandler({ RUN_LEDGER_TABLE: 'x', STALE_RUN_MAX_AGE_MINUTES: 'soon', PORT_CLIENT_ID: 'a', PORT_CLIENT_SECRET: 'b' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/RUN_LEDGER_TABLE: .*\n.*STALE_RUN_MAX_AGE_MINUTES: /);
    expect(() => createSweeperHandler({ RUN_LEDGER_TABLE: 'run-ledger' })).toThrow(/Port credentials are not configured/);
  });
});
