import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DynamoRunLedger } from '../../src/runs/ledger/dynamodb.js';
import {
  type ClaimRequest,
  entryState,
  type FinalReport,
  LEDGER_RETENTION_DAYS,
  type RunLedger,
  RunLedgerError,
} from '../../src/runs/ledger/ledger.js';
import { MemoryRunLedger } from '../../src/runs/ledger/memory.js';
import { type DynamoDbServer, startDynamoDb } from '../helpers/dynamodb.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const MINUTE = 60_000;

let db: DynamoDbServer;
beforeAll(async () => {
  db = await startDynamoDb();
});
afterAll(async () => {
  await db.close();
});

/** A ledger and the clock it reads, which the test moves. */
interface Subject {
  ledger: RunLedger;
  clock: { now: number };
}

const IMPLEMENTATIONS: [string, () => Promise<Subject>][] = [
  [
    'memory',
    async () => {
      const clock = { now: T0 };
      return { ledger: new MemoryRunLedger({ now: () => clock.now }), clock };
    },
  ],
  [
    'DynamoDB (dynalite)',
    async () => {
      const clock = { now: T0 };
      return { ledger: db.ledger(await db.createLedgerTable(), () => clock.now), clock };
    },
  ],
];

const request = (owner: string, expiresAt: number, overrides: Partial<ClaimRequest> = {}): ClaimRequest => ({
  owner,
  expiresAt,
  action: 'create_vm',
  policy: 'fail',
  record: { topic: 'org_X.runs', partition: 3, offset: 42 },
  ...overrides,
});

const report = (runId: string, summary = 'done'): FinalReport => ({
  runId,
  log: 'Finished',
  patch: { status: 'SUCCESS', summary, link: ['https://example.com/a'] },
});

describe.each(IMPLEMENTATIONS)('run ledger: %s', (_name, make) => {
  it('claims a run it has never seen, and keeps who, what and where', async () => {
    // Prepare
    const { ledger } = await make();

    // Act
    const outcome = await ledger.claim('r_1', request('A', T0 + 5 * MINUTE));

    // Assess
    expect(outcome).toEqual({
      claimed: true,
      entry: expect.objectContaining({ runId: 'r_1', owner: 'A', attempt: 1, claimedAt: T0, expiresAt: T0 + 5 * MINUTE }),
    });
    expect(await ledger.get('r_1')).toEqual({
      runId: 'r_1',
      owner: 'A',
      action: 'create_vm',
      policy: 'fail',
      attempt: 1,
      claimedAt: T0,
      expiresAt: T0 + 5 * MINUTE,
      topic: 'org_X.runs',
      partition: 3,
      offset: 42,
    });
    expect(await ledger.get('r_unknown')).toBeUndefined();
  });

  it('refuses a second claim while the first holds the run, and shows the holder', async () => {
    // Prepare
    const { ledger, clock } = await make();
    await ledger.claim('r_1', request('A', T0 + 5 * MINUTE));
    clock.now = T0 + 4 * MINUTE;

    // Act
    const outcome = await ledger.claim('r_1', request('B', T0 + 10 * MINUTE));

    // Assess
    expect(outcome).toEqual({ claimed: false, entry: expect.objectContaining({ owner: 'A', attempt: 1 }) });
    expect(entryState(outcome.entry, clock.now)).toBe('running');
    expect((await ledger.get('r_1'))?.owner).toBe('A');
  });

  it('lets exactly one of many concurrent claims win', async () => {
    // Prepare
    const { ledger } = await make();
    const owners = Array.from({ length: 8 }, (_, i) => `C${i}`);

    // Act
    const outcomes = await Promise.all(owners.map((o) => ledger.claim('r_race', request(o, T0 + MINUTE))));

    // Assess
    const winners = outcomes.filter((o) => o.claimed);
    expect(winners).toHaveLength(1);
    const holder = (await ledger.get('r_race'))?.owner;
    expect(winners[0]?.entry.owner).toBe(holder);
    for (const lost of outcomes.filter((o) => !o.claimed)) expect(lost.entry.owner).toBe(holder);
  });

  it('takes over a claim that lapsed without a result and says it was interrupted', async () => {
    // Prepare
    const { ledger, clock } = await make();
    await ledger.claim('r_1', request('A', T0 + 5 * MINUTE));
    clock.now = T0 + 5 * MINUTE + 1;
    expect(entryState((await ledger.get('r_1'))!, clock.now)).toBe('expired');

    // Act
    const outcome = await ledger.claim('r_1', request('B', clock.now + 5 * MINUTE, { policy: 'rerun' }));

    // Assess
    expect(outcome).toEqual({
      claimed: true,
      entry: expect.objectContaining({ owner: 'B', attempt: 2, policy: 'rerun', claimedAt: clock.now }),
      interrupted: expect.objectContaining({ owner: 'A', attempt: 1, claimedAt: T0, expiresAt: T0 + 5 * MINUTE }),
    });
    expect(await ledger.get('r_1')).toMatchObject({ owner: 'B', attempt: 2 });
  });

  it('never lets a run with a stored result be claimed again, even long after its claim lapsed', async () => {
    // Prepare
    const { ledger, clock } = await make();
    await ledger.claim('r_1', request('A', T0 + 5 * MINUTE));
    expect(await ledger.storeResult('r_1', 'A', report('r_1'))).toBe(true);
    clock.now = T0 + 60 * MINUTE;

    // Act
    const outcome = await ledger.claim('r_1', request('B', clock.now + 5 * MINUTE));

    // Assess
    expect(outcome.claimed).toBe(false);
    expect(entryState(outcome.entry, clock.now)).toBe('reported');
    expect(outcome.entry.report).toEqual(report('r_1'));
    expect(outcome.entry.reportedAt).toBe(T0);
  });

  it('stores a result only for the claim holder, who may store it again', async () => {
    // Prepare
    const { ledger, clock } = await make();
    await ledger.claim('r_1', request('A', T0 + 5 * MINUTE));
    clock.now = T0 + 6 * MINUTE;
    await ledger.claim('r_1', request('B', T0 + 11 * MINUTE));

    // Act
    const byOldHolder = await ledger.storeResult('r_1', 'A', report('r_1', 'from A'));
    const byHolder = await ledger.storeResult('r_1', 'B', report('r_1', 'from B'));
    const again = await ledger.storeResult('r_1', 'B', { ...report('r_1', 'from B'), logSent: true });

    // Assess
    expect([byOldHolder, byHolder, again]).toEqual([false, true, true]);
    expect((await ledger.get('r_1'))?.report).toEqual({ ...report('r_1', 'from B'), logSent: true });
    expect(await ledger.storeResult('r_none', 'A', report('r_none'))).toBe(false);
  });

  it('marks a run delivered, after which nothing changes it', async () => {
    // Prepare
    const { ledger, clock } = await make();
    await ledger.claim('r_1', request('A', T0 + 5 * MINUTE));
    await ledger.storeResult('r_1', 'A', report('r_1'));
    clock.now = T0 + MINUTE;

    // Act
    await ledger.markDelivered('r_1');
    clock.now = T0 + 2 * MINUTE;
    await ledger.markDelivered('r_1');
    await ledger.markDelivered('r_never_claimed');

    // Assess
    const entry = await ledger.get('r_1');
    expect(entry?.deliveredAt).toBe(T0 + MINUTE);
    expect(entryState(entry!, clock.now)).toBe('delivered');
    expect(await ledger.storeResult('r_1', 'A', report('r_1', 'late'))).toBe(false);
    expect((await ledger.claim('r_1', request('B', T0 + 99 * MINUTE))).claimed).toBe(false);
    expect(await ledger.get('r_never_claimed')).toBeUndefined();
  });

  it('lists lapsed claims without a result, oldest first, for the sweeper', async () => {
    // Prepare
    const { ledger, clock } = await make();
    await ledger.claim('r_late', request('A', T0 + 3 * MINUTE));
    await ledger.claim('r_early', request('A', T0 + 1 * MINUTE));
    await ledger.claim('r_reported', request('A', T0 + 1 * MINUTE));
    await ledger.storeResult('r_reported', 'A', report('r_reported'));
    await ledger.claim('r_delivered', request('A', T0 + 1 * MINUTE));
    await ledger.markDelivered('r_delivered');
    await ledger.claim('r_running', request('A', T0 + 30 * MINUTE));
    clock.now = T0 + 10 * MINUTE;

    // Act
    const expired = await ledger.listExpired(clock.now);
    const first = await ledger.listExpired(clock.now, 1);
    await ledger.claim('r_early', request('sweeper', clock.now + MINUTE));
    const afterTakeover = await ledger.listExpired(clock.now);

    // Assess
    expect(expired.map((e) => e.runId)).toEqual(['r_early', 'r_late']);
    expect(expired[0]).toMatchObject({ owner: 'A', action: 'create_vm', policy: 'fail', topic: 'org_X.runs' });
    expect(first.map((e) => e.runId)).toEqual(['r_early']);
    expect(afterTakeover.map((e) => e.runId)).toEqual(['r_late']);
  });

  it('releases a first claim so the retry starts afresh', async () => {
    // Prepare
    const { ledger } = await make();
    const first = await ledger.claim('r_1', request('A', T0 + 5 * MINUTE));

    // Act
    await ledger.release(first.entry);
    const again = await ledger.claim('r_1', request('B', T0 + 5 * MINUTE));

    // Assess
    expect(again).toEqual({ claimed: true, entry: expect.objectContaining({ owner: 'B', attempt: 1 }) });
  });

  it('releases a taken-over claim by letting it lapse, so the next attempt still sees the interruption', async () => {
    // Prepare
    const { ledger, clock } = await make();
    await ledger.claim('r_1', request('A', T0 + 5 * MINUTE));
    clock.now = T0 + 6 * MINUTE;
    const takeover = await ledger.claim('r_1', request('B', T0 + 11 * MINUTE));

    // Act
    await ledger.release(takeover.entry);
    const next = await ledger.claim('r_1', request('C', T0 + 12 * MINUTE));

    // Assess
    expect(next).toEqual({
      claimed: true,
      entry: expect.objectContaining({ owner: 'C', attempt: 3 }),
      interrupted: expect.objectContaining({ owner: 'B', attempt: 2 }),
    });
  });

  it('ignores a release by an attempt that no longer holds the claim, or after a result', async () => {
    // Prepare
    const { ledger, clock } = await make();
    const a = await ledger.claim('r_1', request('A', T0 + 5 * MINUTE));
    clock.now = T0 + 6 * MINUTE;
    await ledger.claim('r_1', request('B', T0 + 11 * MINUTE));
    const c = await ledger.claim('r_2', request('C', T0 + 5 * MINUTE));
    await ledger.storeResult('r_2', 'C', report('r_2'));

    // Act
    await ledger.release(a.entry);
    await ledger.release(c.entry);

    // Assess
    expect(await ledger.get('r_1')).toMatchObject({ owner: 'B', attempt: 2, expiresAt: T0 + 11 * MINUTE });
    expect((await ledger.get('r_2'))?.report).toEqual(report('r_2'));
  });
});

describe('run ledger: DynamoDB specifics', () => {
  it('writes the TTL attribute and takes a claim out of the open-claims index once it has a result', async () => {
    // Prepare
    const table = await db.createLedgerTable();
    const ledger = db.ledger(table, () => T0);
    await ledger.claim('r_1', request('A', T0 + MINUTE));
    const raw = async () =>
      (await db.client.send(new GetItemCommand({ TableName: table, Key: { runId: { S: 'r_1' } }, ConsistentRead: true }))).Item;
    const claimed = await raw();

    // Act
    await ledger.storeResult('r_1', 'A', report('r_1'));
    const reported = await raw();

    // Assess
    expect(Number(claimed?.ttl?.N)).toBe(T0 / 1000 + LEDGER_RETENTION_DAYS * 86_400);
    expect(claimed?.open).toEqual({ S: 'claim' });
    expect(reported?.open).toBeUndefined();
    expect(reported?.ttl).toEqual(claimed?.ttl);
    expect(JSON.parse(reported?.report?.S ?? 'null')).toEqual(report('r_1'));
  });

  it('reports a missing table as a ledger error a retry will not fix', async () => {
    // Prepare
    const ledger = db.ledger('no-such-table');

    // Act
    const error = await ledger.claim('r_1', request('A', T0 + MINUTE)).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RunLedgerError);
    expect(error).toMatchObject({
      retryable: false,
      message: expect.stringMatching(/^Run ledger claim on table no-such-table failed: ResourceNotFoundException/),
    });
  });

  it('reports an unreachable server as a ledger error a retry may fix', async () => {
    // Prepare: a port that was free a moment ago and has nobody listening now.
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
    const ledger = new DynamoRunLedger({ tableName: 'anything', client });

    // Act
    const error = await ledger.get('r_1').catch((e: unknown) => e);
    client.destroy();

    // Assess
    expect(error).toBeInstanceOf(RunLedgerError);
    expect(error).toMatchObject({ retryable: true, message: expect.stringMatching(/^Run ledger get on table anything failed: /) });
  });
});
