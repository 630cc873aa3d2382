import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../../src/emulator/index.js';
import type { ParkedRecord } from '../../src/parking/parker.js';
import { SqsParker } from '../../src/parking/sqs.js';
import { entryState } from '../../src/runs/ledger/ledger.js';
import { kafkaRecord, lambdaContext, ORG_ID, RUNS_TOPIC, runsEvent, v1Run } from '../../src/testing/factories.js';
import { linesOf, runTool } from '../cli/cli.js';
import { type DynamoDbServer, startDynamoDb } from '../helpers/dynamodb.js';
import { createHarness } from '../helpers/harness.js';
import { runPath } from '../lifecycle/support.js';
import { type ElasticMq, startElasticMq } from '../sqs-server/elasticmq.js';

/**
 * `port-kafka-lambda redrive` as a process, against ElasticMQ (a real SQS
 * server on loopback) holding messages the real SqsParker wrote, the Port
 * emulator and a dynalite run ledger shared with the handler that parked them.
 */

let mq: ElasticMq;
let db: DynamoDbServer;
beforeAll(async () => {
  [mq, db] = await Promise.all([startElasticMq(), startDynamoDb()]);
}, 120_000);
afterAll(async () => {
  await Promise.all([mq?.stop(), db?.close()]);
});

let emu: PortEmulator;
let table: string;
let parkedUrl: string;
let failedUrl: string;
let queueSeq = 0;

beforeEach(async () => {
  emu = await startPortEmulator();
  table = await db.createLedgerTable();
  queueSeq++;
  [parkedUrl, failedUrl] = await Promise.all([mq.createQueue(`parked-${queueSeq}`), mq.createQueue(`failed-batches-${queueSeq}`)]);
});
afterEach(async () => {
  await emu.close();
});

const cliEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  AWS_ENDPOINT_URL_SQS: mq.endpoint,
  AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
  AWS_REGION: mq.region,
  AWS_ACCESS_KEY_ID: mq.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: mq.credentials.secretAccessKey,
  PARK_QUEUE_URL: parkedUrl,
  FAILED_BATCHES_QUEUE_URL: failedUrl,
  PORT_ORG_ID: ORG_ID,
  PORT_API_URL: emu.url,
  PORT_CLIENT_ID: DEFAULT_EMULATOR_CLIENT.clientId,
  PORT_CLIENT_SECRET: DEFAULT_EMULATOR_CLIENT.clientSecret,
  RUN_LEDGER_TABLE: table,
  ...extra,
});

const VM_INPUTS = { cpu: 2, memory: 4, storage: 20, region: 'eu-west-1' };

/** Parks records on the test's queue through the production parker. */
const park = async (records: readonly ParkedRecord[]) => {
  const parker = new SqsParker({ queueUrl: parkedUrl, client: mq.client });
  for (const record of records) await parker.park(record);
};

/**
 * A create_vm run the handler executed but Port refused to end (403 on its
 * PATCH): the record is parked as run-not-ended and the ledger holds its report.
 */
const refusedRun = async (runId: string, offset: number): Promise<ParkedRecord> => {
  emu.createRun({ id: runId, action: 'create_vm' });
  const h = await createHarness({ emulator: emu, ledger: db.ledger(table) });
  // The action's own PATCHes (status label, links) go through; the ones ending the run are refused.
  emu.faultPolicy = ({ method, path, body }) =>
    method === 'PATCH' && path === runPath(runId) && typeof body === 'object' && body !== null && 'status' in body
      ? { status: 403 }
      : undefined;
  const event = runsEvent([v1Run('create_vm', VM_INPUTS, runId)]);
  const record = event.records[`${RUNS_TOPIC}-0`]![0]!;
  record.offset = offset;
  await h.handler(event, lambdaContext());
  emu.faultPolicy = undefined;
  expect(h.parker.records).toEqual([expect.objectContaining({ reason: 'run-not-ended', runId })]);
  return h.parker.records[0]!;
};

/** A record that is not JSON, parked as the handler parks it. */
const notJson = (offset: number): ParkedRecord => {
  const raw = kafkaRecord({ value: 'not json at all', partition: 1, offset });
  return {
    topic: raw.topic,
    partition: 1,
    offset,
    reason: 'not-json',
    detail: 'RecordDecodeError: value is not JSON',
    key: null,
    value: raw.value,
  };
};

/** What Lambda's on-failure destination writes to SQS for a batch it gave up on (metadata only). */
const batchFailure = () =>
  JSON.stringify({
    requestContext: { requestId: '316aa6d0-8154-xmpl-9af7-85d5f4a6bc81', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 11 },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-11-30T10:00:00.000Z',
    KafkaBatchInfo: {
      batchSize: 3,
      bootstrapServers: 'b-1-public.example:9196',
      payloadSize: 2039,
      recordsInfo: {
        [`${RUNS_TOPIC}-2`]: {
          firstRecordOffset: '40',
          lastRecordOffset: '42',
          firstRecordTimestamp: '2026-11-30T09:59:58.000Z',
          lastRecordTimestamp: '2026-11-30T09:59:59.000Z',
        },
      },
    },
  });

const counts = async (url: string) => {
  const out = await mq.client.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    })
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages),
    hidden: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
};

/** The parked messages still on the queue, by run id or reason (peeked without hiding them). */
const remaining = async (url: string): Promise<string[]> => {
  const out = await mq.client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
  return (out.Messages ?? [])
    .map((m) => JSON.parse(m.Body ?? '{}') as { runId?: string; reason?: string; KafkaBatchInfo?: unknown })
    .map((b) => (b.KafkaBatchInfo ? 'batch-metadata' : (b.runId ?? b.reason ?? '?')))
    .sort();
};

describe('redrive: listing', () => {
  it('prints one line per message of both queues and changes nothing, and --fail without --apply only says what it would do', async () => {
    // Prepare
    const refused = await refusedRun('r_redrive_list', 7);
    await park([refused, notJson(8)]);
    await mq.client.send(new SendMessageCommand({ QueueUrl: failedUrl, MessageBody: batchFailure() }));
    const patchesBefore = emu.requests.filter((r) => r.method === 'PATCH').length;

    // Act
    const listed = await runTool('redrive', [], { env: cliEnv() });
    const dryRun = await runTool('redrive', ['--fail'], { env: cliEnv() });

    // Assess
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(linesOf(listed.stdout)).toEqual([
      'parked: 2 message(s)',
      expect.stringMatching(
        new RegExp(
          `^parked ${RUNS_TOPIC}-0@7 run-not-ended: run r_redrive_list \\(create_vm\\): RunNotEndedError: Port refused to end run r_redrive_list`
        )
      ),
      `parked ${RUNS_TOPIC}-1@8 not-json: no run: RecordDecodeError: value is not JSON`,
      'failed-batches: 1 message(s)',
      `failed-batches ${RUNS_TOPIC}-2@40..42 RetryAttemptsExhausted: batch metadata only, no records and so no run ids -> left (the sweeper ends runs this backend claimed; re-read these offsets from Kafka for the others; --discard-metadata deletes it)`,
      '3 message(s): 0 done and deleted, 0 failed, 3 left',
    ]);
    expect(dryRun.code).toBe(0);
    expect(linesOf(dryRun.stdout)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/-> would end run r_redrive_list FAILURE \("ended by redrive: run-not-ended"\)$/),
        expect.stringMatching(/not-json: no run: .* -> left: no run to end$/),
        '3 message(s): 0 done and deleted, 0 failed, 3 left (dry run: nothing was changed; add --apply to act)',
      ])
    );
    expect(emu.requests.filter((r) => r.method === 'PATCH')).toHaveLength(patchesBefore);
    expect(emu.getRun('r_redrive_list')?.status).toBe('IN_PROGRESS');
    // Every message is visible again for the next redrive.
    expect(await counts(parkedUrl)).toEqual({ visible: 2, hidden: 0 });
    expect(await counts(failedUrl)).toEqual({ visible: 1, hidden: 0 });
  }, 60_000);
});

describe('redrive --fail --apply', () => {
  it('ends the parked runs (a stored report is sent as it is), deletes their messages, and keeps the ones it could not handle', async () => {
    // Prepare: A was executed (the ledger holds its SUCCESS report); B never got that far; Port refuses C's ending.
    const a = await refusedRun('r_redrive_a', 10);
    emu.createRun({ id: 'r_redrive_b', action: 'create_vm' });
    emu.createRun({ id: 'r_redrive_c', action: 'create_vm' });
    const bare = (runId: string, offset: number): ParkedRecord => {
      const raw = kafkaRecord({ value: v1Run('create_vm', VM_INPUTS, runId), partition: 0, offset });
      return {
        topic: RUNS_TOPIC,
        partition: 0,
        offset,
        reason: 'run-not-ended',
        detail: `RunNotEndedError: Port refused to end run ${runId}`,
        runId,
        key: null,
        value: raw.value,
      };
    };
    await park([a, bare('r_redrive_b', 11), bare('r_redrive_c', 12), notJson(13)]);
    emu.faults.push({ match: { method: 'PATCH', path: runPath('r_redrive_c') }, times: 10, respond: { status: 403 } });

    // Act
    const result = await runTool('redrive', ['--fail', '--apply'], { env: cliEnv() });

    // Assess
    expect(result.code).toBe(1);
    const lines = linesOf(result.stdout);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/r_redrive_a .* -> sent its stored report \(SUCCESS\)$/),
        expect.stringMatching(/r_redrive_b .* -> ended FAILURE$/),
        expect.stringMatching(/r_redrive_c .* -> could not end it, left: RunNotEndedError: Port refused to end run r_redrive_c/),
        '4 message(s): 2 done and deleted, 1 failed, 1 left',
      ])
    );
    expect(emu.getRun('r_redrive_a')).toMatchObject({ status: 'SUCCESS' });
    expect(emu.getRun('r_redrive_b')).toMatchObject({
      status: 'FAILURE',
      summary: 'ended by redrive: run-not-ended: RunNotEndedError: Port refused to end run r_redrive_b',
    });
    expect(emu.logs('r_redrive_b').map((l) => l.message)).toEqual([
      `Ended by redrive: its record ${RUNS_TOPIC}-0@11 was parked (run-not-ended: RunNotEndedError: Port refused to end run r_redrive_b)`,
    ]);
    expect(emu.getRun('r_redrive_c')?.status).toBe('IN_PROGRESS');
    for (const runId of ['r_redrive_a', 'r_redrive_b']) {
      const entry = await db.ledger(table).get(runId);
      expect(entry && entryState(entry, Date.now())).toBe('delivered');
      expect(emu.endings.filter((e) => e.runId === runId)).toHaveLength(1);
    }
    expect(await remaining(parkedUrl)).toEqual(['not-json', 'r_redrive_c']);
  }, 60_000);
});

describe('redrive --replay --apply', () => {
  it("feeds parked records back through the app's handler: a run is reported from its stored report, not executed again; a record that parks again stays", async () => {
    // Prepare
    const refused = await refusedRun('r_redrive_replay', 20);
    await park([refused, notJson(21)]);
    const pickups = () => emu.logs('r_redrive_replay').filter((l) => l.message.startsWith('Picked up')).length;
    const pickedUpBefore = pickups();

    // Act: Port takes PATCHes again (the credentials were fixed)
    const result = await runTool('redrive', ['--replay', '--apply'], { env: cliEnv() });

    // Assess
    expect(result.code).toBe(1);
    expect(linesOf(result.stdout)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/r_redrive_replay \(create_vm\): .* -> replayed: succeeded \(report-resent\)$/),
        expect.stringMatching(/not-json: no run: .* -> replay did not finish it, left: parked again: not-json: /),
        '2 message(s): 1 done and deleted, 1 failed, 0 left',
      ])
    );
    expect(emu.getRun('r_redrive_replay')).toMatchObject({ status: 'SUCCESS' });
    expect(pickups()).toBe(pickedUpBefore);
    expect(await remaining(parkedUrl)).toEqual(['not-json']);
  }, 60_000);
});

describe('redrive: metadata and usage', () => {
  it('deletes on-failure metadata only with --discard-metadata --apply', async () => {
    await mq.client.send(new SendMessageCommand({ QueueUrl: failedUrl, MessageBody: batchFailure() }));

    const kept = await runTool('redrive', ['--discard-metadata'], { env: cliEnv({ PARK_QUEUE_URL: '' }) });
    const keptCount = await counts(failedUrl);
    const discarded = await runTool('redrive', ['--discard-metadata', '--apply'], { env: cliEnv({ PARK_QUEUE_URL: '' }) });

    expect(linesOf(kept.stdout)).toContain(
      `failed-batches ${RUNS_TOPIC}-2@40..42 RetryAttemptsExhausted: batch metadata only, no records and so no run ids -> would delete (the sweeper ends runs this backend claimed; re-read these offsets from Kafka for the others)`
    );
    expect(keptCount).toEqual({ visible: 1, hidden: 0 });
    expect(discarded.code).toBe(0);
    expect(linesOf(discarded.stdout)).toContain('1 message(s): 1 done and deleted, 0 failed, 0 left');
    expect(await counts(failedUrl)).toEqual({ visible: 0, hidden: 0 });
  }, 60_000);

  it('refuses contradictory modes and a missing queue with exit code 2', async () => {
    const both = await runTool('redrive', ['--replay', '--fail'], { env: cliEnv() });
    const noQueue = await runTool('redrive', [], { env: cliEnv({ PARK_QUEUE_URL: '', FAILED_BATCHES_QUEUE_URL: '' }) });

    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^redrive: --replay and --fail exclude each other\n/);
    expect(noQueue.code).toBe(2);
    expect(noQueue.stderr).toMatch(/^redrive: no queue: set PARK_QUEUE_URL/);
  }, 60_000);
});
