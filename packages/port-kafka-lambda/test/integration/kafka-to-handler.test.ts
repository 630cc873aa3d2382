// End to end through a real Kafka broker: Port-shaped messages are produced to `<ORG_ID>.runs`
// (3 partitions) and `<ORG_ID>.change.log`, consumed back with the org user and consumer group
// over SASL_SSL/SCRAM-SHA-512, turned into the event a Lambda event source mapping delivers,
// and passed to the real Middy handler wired to the Port API emulator.

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { defineAction } from '../../src/actions/define.js';
import type { RecordOutcome } from '../../src/batch/outcome.js';
import { defineChangeHandler } from '../../src/changes/define.js';
import type { ChangeEvent } from '../../src/messages/normalize.js';
import { CHANGES_TOPIC, lambdaContext, loadEvent, ORG_ID, RUNS_TOPIC, v1Run } from '../../src/testing/factories.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import {
  type ConsumedKafkaRecord,
  consumeTopic,
  createProducer,
  createTopics,
  type KafkaBroker,
  type LambdaKafkaEvent,
  type ScramUser,
  startKafkaBroker,
  toLambdaKafkaEvent,
} from '../kafka-broker/index.js';

const ORG_USER: ScramUser = {
  username: `${ORG_ID}-user`,
  password: randomBytes(12).toString('hex'),
  orgId: ORG_ID,
};
/** Both mappings (runs, change log) share the consumer group Port assigned to the org. */
const GROUP_ID = `${ORG_ID}.port-kafka-lambda`;
const MSK_ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/port/abc-123';
const FUNCTION_NAME = 'port-kafka-lambda-test';

type Expected = { status: RecordOutcome['status']; reason: string };

/** One message the test produces, and what the handler must make of it. */
interface Planned {
  name: string;
  topic: string;
  partition: number;
  key: string | null;
  value: Buffer | null;
  expect: Expected;
  /** For runs we own: the id the action must be called with. */
  runId?: string;
  /** For foreign runs: the id the emulator must never hear of. */
  foreignRunId?: string;
  /** The action sleeps this long before recording its end (earlier offsets sleep longer). */
  delayMs?: number;
  /** Set from the producer's acknowledgement: the broker's offset. */
  offset: number;
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
const newRunId = (): string => `r_${randomBytes(8).toString('hex')}`;

// ---- the messages --------------------------------------------------------------------------

const ALPHA = 'e2e_alpha';
const BETA = 'e2e_beta';
const BETA_BLUEPRINT = 'vm';
const CHANGE_HANDLER = 'e2e-change-recorder';

const ok: Expected = { status: 'succeeded', reason: 'succeeded' };

/** A run we own, keyed by its run id. */
const runMessage = (name: string, partition: number, runId: string, value: Record<string, unknown>, delayMs: number): Planned => ({
  name,
  topic: RUNS_TOPIC,
  partition,
  key: runId,
  value: json(value),
  expect: ok,
  runId,
  delayMs,
  offset: -1,
});

const recommendedRun = (runId: string): Record<string, unknown> => {
  const m = loadEvent('recommended-run-create-vm.json');
  m.runId = runId;
  m.action = `${BETA_BLUEPRINT}_${BETA}`; // the <blueprint>_ prefixed v2 form
  return m;
};

const v2CompatRun = (runId: string): Record<string, unknown> => {
  const m = loadEvent<Record<string, unknown> & { context: Record<string, unknown> }>('v2-compat-run-deploy-service.json');
  m.action = BETA;
  m.context.runId = runId;
  return m;
};

/**
 * A webhook run executed by Port's agent, pointed at an action this backend DOES register, so
 * that only the foreign-message check keeps it from running.
 */
const agentRun = (runId: string): Record<string, unknown> => {
  const m = loadEvent<
    Record<string, unknown> & { context: Record<string, unknown>; payload: { action: Record<string, unknown>; properties: unknown } }
  >('edge-cases/agent-webhook-run.json');
  m.action = ALPHA;
  m.context.runId = runId;
  m.payload.action.identifier = ALPHA;
  m.payload.properties = { n: 99 };
  return m;
};

const NOT_UTF8 = Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xff, 0x00]);

/** Built fresh for the suite: run ids are random so nothing can leak between runs of the suite. */
function plan(): Planned[] {
  const agentRunId = newRunId();
  const workflow = loadEvent<{ context: { runId: string } }>('edge-cases/workflow-node-run.json');
  const changeCreate = loadEvent('change-entity-create.json');
  const changeWebhook = loadEvent('edge-cases/change-webhook-destination.json');
  const [a1, a2, a3, b1, b2, c1, c2] = Array.from({ length: 7 }, newRunId) as [string, string, string, string, string, string, string];
  return [
    // partition 0
    runMessage('A1 v1', 0, a1, v1Run(ALPHA, { n: 1 }, a1), 40),
    runMessage('A2 v1', 0, a2, v1Run(ALPHA, { n: 2 }, a2), 25),
    {
      name: 'non-JSON value',
      topic: RUNS_TOPIC,
      partition: 0,
      key: 'bad-json',
      value: Buffer.from('{"action": "e2e_alpha", not json', 'utf8'),
      expect: { status: 'invalid', reason: 'not-json' },
      offset: -1,
    },
    runMessage('A3 v2-compat', 0, a3, v2CompatRun(a3), 0),
    // partition 1
    runMessage('B1 recommended', 1, b1, recommendedRun(b1), 40),
    {
      name: 'tombstone',
      topic: RUNS_TOPIC,
      partition: 1,
      key: 'deleted-key',
      value: null,
      expect: { status: 'skipped', reason: 'tombstone' },
      offset: -1,
    },
    {
      name: 'agent-bound webhook run',
      topic: RUNS_TOPIC,
      partition: 1,
      key: agentRunId,
      value: json(agentRun(agentRunId)),
      expect: { status: 'skipped', reason: 'agent-run' },
      foreignRunId: agentRunId,
      offset: -1,
    },
    runMessage('B2 v1', 1, b2, v1Run(ALPHA, { n: 3 }, b2), 0),
    // partition 2
    runMessage('C1 v1', 2, c1, v1Run(BETA, { region: 'eu-west-1' }, c1), 40),
    {
      name: 'workflow node run',
      topic: RUNS_TOPIC,
      partition: 2,
      key: null,
      value: json(workflow),
      expect: { status: 'skipped', reason: 'workflow-node-run' },
      foreignRunId: workflow.context.runId,
      offset: -1,
    },
    {
      name: 'value that is not UTF-8',
      topic: RUNS_TOPIC,
      partition: 2,
      key: 'bad-bytes',
      value: NOT_UTF8,
      expect: { status: 'invalid', reason: 'not-utf8' },
      offset: -1,
    },
    runMessage('C2 v1', 2, c2, v1Run(ALPHA, { n: 4 }, c2), 0),
    // change log: the foreign change first, so the one we handle sits at a non-zero offset
    {
      name: 'change for a webhook destination',
      topic: CHANGES_TOPIC,
      partition: 0,
      key: null,
      value: json(changeWebhook),
      expect: { status: 'skipped', reason: 'non-kafka-change-destination' },
      offset: -1,
    },
    {
      name: 'entity CREATE change',
      topic: CHANGES_TOPIC,
      partition: 0,
      key: 'ci-runner-1',
      value: json(changeCreate),
      expect: { status: 'succeeded', reason: CHANGE_HANDLER },
      offset: -1,
    },
  ];
}

// ---- broker, production, consumption -------------------------------------------------------

let broker: KafkaBroker;
let planned: Planned[] = [];
let runsConsumed: ConsumedKafkaRecord[] = [];
let changesConsumed: ConsumedKafkaRecord[] = [];

/** Produces one message per send so offsets follow list order; returns the broker's offsets. */
async function produce(messages: readonly Planned[]): Promise<number[]> {
  const producer = createProducer(broker, broker.admin);
  await producer.connect();
  try {
    const offsets: number[] = [];
    for (const [i, m] of messages.entries()) {
      const [ack] = await producer.send({
        topic: m.topic,
        acks: -1,
        messages: [{ partition: m.partition, key: m.key, value: m.value, timestamp: String(1_763_700_000_000 + i) }],
      });
      if (ack === undefined || ack.partition !== m.partition || ack.baseOffset === undefined) {
        throw new Error(`no acknowledgement for ${m.name}: ${JSON.stringify(ack)}`);
      }
      offsets.push(Number(ack.baseOffset));
    }
    return offsets;
  } finally {
    await producer.disconnect();
  }
}

beforeAll(async () => {
  broker = await startKafkaBroker({ users: [ORG_USER] }); // fetches the jars on a cold ~/.m2
  await createTopics(broker, [
    { topic: RUNS_TOPIC, numPartitions: 3 },
    { topic: CHANGES_TOPIC, numPartitions: 1 },
  ]);
  const messages = plan();
  const offsets = await produce(messages);
  planned = messages.map((m, i) => ({ ...m, offset: offsets[i] ?? -1 }));
  const count = (topic: string) => planned.filter((p) => p.topic === topic).length;
  // As the two event source mappings would: the org user, the org's consumer group.
  runsConsumed = await consumeTopic(broker, { topic: RUNS_TOPIC, groupId: GROUP_ID, user: ORG_USER, count: count(RUNS_TOPIC) });
  changesConsumed = await consumeTopic(broker, {
    topic: CHANGES_TOPIC,
    groupId: GROUP_ID,
    user: ORG_USER,
    count: count(CHANGES_TOPIC),
  });
}, 180_000);

afterAll(async () => {
  await broker?.stop();
});

// ---- the handler under test ----------------------------------------------------------------

interface ActionEvent {
  runId: string;
  phase: 'start' | 'end';
  action: string;
}

interface Recorder {
  events: ActionEvent[];
  changes: Array<{ change: ChangeEvent; record: { topic: string; partition: number; offset: number } }>;
}

/** Test-only actions and a catch-all change handler that record what they are called with. */
function recordingHandlers(delays: ReadonlyMap<string, number>) {
  const recorder: Recorder = { events: [], changes: [] };
  const record = async (action: string, runId: string) => {
    recorder.events.push({ runId, phase: 'start', action });
    // Earlier offsets sleep longer: records of a partition run concurrently would end reversed.
    await sleep(delays.get(runId) ?? 0);
    recorder.events.push({ runId, phase: 'end', action });
    return { summary: `${action} ran ${runId}` };
  };
  const actions = [
    defineAction({
      identifier: ALPHA,
      inputs: z.object({ n: z.number() }),
      handler: ({ runId }) => record(ALPHA, runId),
    }),
    defineAction({
      identifier: BETA,
      blueprint: BETA_BLUEPRINT,
      inputs: z.record(z.string(), z.unknown()),
      handler: ({ runId }) => record(BETA, runId),
    }),
  ];
  const changeHandlers = [
    defineChangeHandler({
      identifier: CHANGE_HANDLER,
      match: {}, // everything: only the foreign-destination check keeps the webhook change out
      handler: async (change, ctx) => {
        recorder.changes.push({ change, record: { ...ctx.record } });
      },
    }),
  ];
  return { recorder, actions, changeHandlers };
}

async function setUp() {
  const delays = new Map(planned.flatMap((p) => (p.runId === undefined ? [] : [[p.runId, p.delayMs ?? 0] as const])));
  const { recorder, actions, changeHandlers } = recordingHandlers(delays);
  const h = await createHarness({ actions, changeHandlers });
  // Port creates a run before it writes the message; the foreign agent run exists in Port too.
  for (const p of planned) {
    if (p.runId !== undefined) h.emulator.createRun({ id: p.runId, action: ALPHA });
    if (p.expect.reason === 'agent-run' && p.foreignRunId !== undefined) h.emulator.createRun({ id: p.foreignRunId, action: ALPHA });
  }
  return { h, recorder };
}

// ---- shared expectations -------------------------------------------------------------------

const coordinates = (x: { topic: string; partition: number; offset: number }) => `${x.topic}-${x.partition}@${x.offset}`;
const byCoordinates = <T extends { topic: string; partition: number; offset: number }>(a: T, b: T): number =>
  a.topic.localeCompare(b.topic) || a.partition - b.partition || a.offset - b.offset;

const plannedRuns = (): Planned[] => planned.filter((p) => p.runId !== undefined);

function expectOutcomes(outcomes: readonly RecordOutcome[], messages: readonly Planned[]): void {
  const got = [...outcomes].sort(byCoordinates).map((o) => ({ at: coordinates(o), status: o.status, reason: o.reason }));
  const want = [...messages].sort(byCoordinates).map((p) => ({ at: coordinates(p), ...p.expect }));
  expect(got).toEqual(want);
}

/** Each run executed once, and within a partition one after the other in offset order. */
function expectActionCalls(recorder: Recorder, runs: readonly Planned[]): void {
  const startedIds = recorder.events.filter((e) => e.phase === 'start').map((e) => e.runId);
  expect([...startedIds].sort()).toEqual(runs.map((r) => r.runId).sort());
  for (const partition of [0, 1, 2]) {
    const ids = runs
      .filter((r) => r.partition === partition)
      .sort(byCoordinates)
      .map((r) => r.runId);
    const events = recorder.events.filter((e) => ids.includes(e.runId));
    // start A, end A, start B, end B...: never two records of a partition at once, in offset order.
    expect(events.map((e) => `${e.phase} ${e.runId}`)).toEqual(ids.flatMap((id) => [`start ${id}`, `end ${id}`]));
  }
}

function expectRunsSucceeded(h: Harness, runs: readonly Planned[]): void {
  for (const r of runs) {
    const runId = r.runId ?? '';
    const run = h.emulator.getRun(runId);
    expect({ runId, status: run?.status, summary: run?.summary }).toEqual({
      runId,
      status: 'SUCCESS',
      summary: expect.stringMatching(new RegExp(`^e2e_(alpha|beta) ran ${runId}$`)),
    });
    // The "picked up" log names the broker's own coordinates of the record, once.
    const pickedUp = h.emulator.logs(runId).filter((l) => l.message.startsWith('Picked up'));
    expect(pickedUp.map((l) => l.message)).toEqual([`Picked up by ${FUNCTION_NAME} from ${r.topic}-${r.partition} at offset ${r.offset}`]);
  }
}

function expectForeignUntouched(h: Harness): void {
  const foreign = planned.filter((p) => p.foreignRunId !== undefined);
  expect(foreign).toHaveLength(2);
  for (const p of foreign) {
    const id = p.foreignRunId ?? '';
    expect(h.emulator.requests.filter((r) => r.path.includes(id)).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  }
  const agent = planned.find((p) => p.expect.reason === 'agent-run');
  expect(h.emulator.getRun(agent?.foreignRunId ?? '')?.status).toBe('IN_PROGRESS');
}

function expectParked(h: Harness): void {
  const bad = planned.filter((p) => p.expect.status === 'invalid');
  expect(bad).toHaveLength(2);
  const parked = [...h.parker.records].sort(byCoordinates).map((r) => ({
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    reason: r.reason,
    key: r.key,
    value: r.value,
  }));
  expect(parked).toEqual(
    [...bad].sort(byCoordinates).map((p) => ({
      topic: p.topic,
      partition: p.partition,
      offset: p.offset, // the offset the broker acknowledged to the producer
      reason: p.expect.reason,
      key: p.key === null ? null : Buffer.from(p.key, 'utf8').toString('base64'),
      value: p.value === null ? null : p.value.toString('base64'), // the exact bytes, for replay
    }))
  );
}

function expectChangeDelivered(recorder: Recorder): void {
  const change = planned.find((p) => p.expect.reason === CHANGE_HANDLER);
  expect(recorder.changes).toHaveLength(1);
  expect(recorder.changes[0]?.record).toEqual({ topic: CHANGES_TOPIC, partition: 0, offset: change?.offset });
  expect(recorder.changes[0]?.change).toMatchObject({
    action: 'CREATE',
    resourceType: 'entity',
    context: { entity: 'ci-runner-1', blueprint: 'vm' },
    diff: { after: { identifier: 'ci-runner-1' } },
  });
}

// ---- the tests -----------------------------------------------------------------------------

describe('the broker round trip', () => {
  it('consumes, with the org user and group, exactly what was produced at the acknowledged offsets', () => {
    // Prepare
    const produced = planned.map((p) => coordinates(p)).sort();
    // Act
    const consumed = [...runsConsumed, ...changesConsumed]
      .map((r) => coordinates({ topic: r.topic, partition: r.partition, offset: Number(r.message.offset) }))
      .sort();
    // Assess
    expect(consumed).toEqual(produced);
    expect(new Set(planned.filter((p) => p.topic === RUNS_TOPIC).map((p) => p.partition))).toEqual(new Set([0, 1, 2]));
    // Fresh topics: offsets 0.. per partition, in the order produced.
    for (const partition of [0, 1, 2]) {
      expect(planned.filter((p) => p.topic === RUNS_TOPIC && p.partition === partition).map((p) => p.offset)).toEqual([0, 1, 2, 3]);
    }
    expect(planned.filter((p) => p.topic === CHANGES_TOPIC).map((p) => p.offset)).toEqual([0, 1]);
  });
});

describe.each([
  {
    shape: 'SelfManagedKafka',
    envelope: { eventSource: 'SelfManagedKafka' },
    toEvent: (records: readonly ConsumedKafkaRecord[]): LambdaKafkaEvent =>
      toLambdaKafkaEvent(records, { bootstrapServers: broker.bootstrapServers }),
  },
  {
    shape: 'aws:kafka (MSK)',
    envelope: { eventSource: 'aws:kafka', eventSourceArn: MSK_ARN },
    toEvent: (records: readonly ConsumedKafkaRecord[]): LambdaKafkaEvent =>
      toLambdaKafkaEvent(records, { eventSource: 'aws:kafka', eventSourceArn: MSK_ARN, bootstrapServers: broker.bootstrapServers }),
  },
])('one batch per mapping, $shape event', ({ envelope, toEvent }) => {
  let h: Harness;
  let recorder: Recorder;
  let events: LambdaKafkaEvent[] = [];
  let responses: unknown[] = [];
  let outcomes: RecordOutcome[] = [];

  beforeAll(async () => {
    // Prepare
    ({ h, recorder } = await setUp());
    // Lambda delivers JSON: the handler gets a parsed copy, nothing shared with the test.
    events = [toEvent(runsConsumed), toEvent(changesConsumed)];
    // Act: the runs mapping and the change-log mapping each deliver their batch.
    responses = [];
    for (const event of events) responses.push(await h.handler(JSON.parse(JSON.stringify(event)), lambdaContext()));
    outcomes = h.reports.flatMap((r) => r.outcomes);
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('is given the envelope of this event source, one per topic', () => {
    // Assess
    expect(events.map((e) => ({ ...e, records: Object.keys(e.records).sort() }))).toEqual([
      { ...envelope, bootstrapServers: broker.bootstrapServers, records: [`${RUNS_TOPIC}-0`, `${RUNS_TOPIC}-1`, `${RUNS_TOPIC}-2`] },
      { ...envelope, bootstrapServers: broker.bootstrapServers, records: [`${CHANGES_TOPIC}-0`] },
    ]);
  });

  it('succeeds the whole batch: bad records are parked, not retried', () => {
    // Assess
    expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(h.reports).toHaveLength(2);
    expectOutcomes(outcomes, planned);
  });

  it('calls the actions for exactly the runs, in offset order within each partition', () => {
    // Assess
    expectActionCalls(recorder, plannedRuns());
  });

  it('reports every run SUCCESS to Port, naming the broker coordinates in the run log', () => {
    // Assess
    expectRunsSucceeded(h, plannedRuns());
  });

  it('skips the agent-bound and workflow node runs without a word to Port', () => {
    // Assess
    expectForeignUntouched(h);
  });

  it('parks the non-JSON and non-UTF-8 records with the coordinates and bytes the broker has', () => {
    // Assess
    expectParked(h);
  });

  it('hands the change to the change handler, and only the Kafka-destined one', () => {
    // Assess
    expectChangeDelivered(recorder);
  });
});

describe('small batches and at-least-once redelivery', () => {
  let h: Harness;
  let recorder: Recorder;

  const event = (records: readonly ConsumedKafkaRecord[]) =>
    JSON.parse(JSON.stringify(toLambdaKafkaEvent(records, { bootstrapServers: broker.bootstrapServers }))) as unknown;

  /** What an ESM with a small batch size delivers first: the first two records of each partition. */
  const inFirstBatch = (r: { topic: string; offset: number }) => r.topic === RUNS_TOPIC && r.offset < 2;

  beforeAll(async () => {
    ({ h, recorder } = await setUp());
  });

  afterAll(async () => {
    await h?.close();
  });

  it('does not execute again the runs of a redelivered batch that already ended', async () => {
    // Prepare
    const firstRecords = runsConsumed.filter((r) => inFirstBatch({ topic: r.topic, offset: Number(r.message.offset) }));
    const secondRecords = runsConsumed.filter((r) => !inFirstBatch({ topic: r.topic, offset: Number(r.message.offset) }));
    const first = planned.filter(inFirstBatch);
    const second = planned.filter((p) => p.topic === RUNS_TOPIC && !inFirstBatch(p));
    expect(firstRecords).toHaveLength(6);
    expect(secondRecords).toHaveLength(6);
    const firstRuns = first.filter((p) => p.runId !== undefined);
    expect(firstRuns).toHaveLength(4);

    // Act 1: the first batch.
    const response1 = await h.handler(event(firstRecords), lambdaContext());
    // Assess 1
    expect(response1).toEqual({ batchItemFailures: [] });
    expectOutcomes(h.lastOutcomes(), first);
    expectActionCalls(recorder, firstRuns);

    // Act 2: the same batch again, as after a lost offset commit.
    const callsBefore = recorder.events.length;
    const requestsBefore = h.emulator.requests.length;
    const response2 = await h.handler(event(firstRecords), lambdaContext());
    // Assess 2
    expect(response2).toEqual({ batchItemFailures: [] });
    expect(recorder.events.slice(callsBefore)).toEqual([]);
    expectOutcomes(
      h.lastOutcomes(),
      first.map((p) => (p.runId === undefined ? p : { ...p, expect: { status: 'skipped', reason: 'already-ended' } }))
    );
    // The run ledger knows these runs were reported: Port is not even asked for their status,
    // and nothing is logged to or patched on them.
    const requests = h.emulator.requests
      .slice(requestsBefore)
      .filter((r) => !r.path.startsWith('/v1/auth/'))
      .map((r) => `${r.method} ${r.path}`);
    expect(requests).toEqual([]);

    // Act 3: the rest.
    const response3 = await h.handler(event(secondRecords), lambdaContext());
    // Assess 3
    expect(response3).toEqual({ batchItemFailures: [] });
    expectOutcomes(h.lastOutcomes(), second);
    // Over the three invocations: every run exactly once, in offset order per partition.
    expectActionCalls(recorder, plannedRuns());
    expectRunsSucceeded(h, plannedRuns());
    expectParked(h);
    expectForeignUntouched(h);
  });
});
