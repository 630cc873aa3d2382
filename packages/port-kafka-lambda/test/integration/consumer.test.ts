// The long-lived consumer against a real Kafka broker set up like Port's (SASL_SSL,
// SCRAM-SHA-512, a self-signed CA, ACLs on the org's two topics and `<ORG_ID>.` groups):
// Port-shaped messages produced to the topics must come out as ended runs in the Port API
// emulator, through the same handler Lambda calls.

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Producer } from 'kafkajs';
import * as z from 'zod';
import { defineAction } from '../../src/actions/define.js';
import { defineChangeHandler } from '../../src/changes/define.js';
import { loadConsumerConfig } from '../../src/consumer/config.js';
import { type RunningConsumer, startConsumer } from '../../src/consumer/consumer.js';
import { KafkaConsumeError } from '../../src/consumer/errors.js';
import type { LambdaSelfManagedKafkaEvent } from '../../src/consumer/lambda-event.js';
import { redactSecrets } from '../../src/logging/redact.js';
import { loadEvent, v1Run } from '../../src/testing/factories.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import {
  createKafka,
  createProducer,
  createTopics,
  type KafkaBroker,
  type ScramUser,
  startKafkaBroker,
  withAdmin,
} from '../kafka-broker/index.js';

/**
 * Each test gets its own org (user, topics, group), so one test's messages never reach
 * another's consumer: Port's ACLs allow only the literal `<org>.runs` and `<org>.change.log`.
 */
interface Org {
  orgId: string;
  user: ScramUser;
  runs: string;
  changes: string;
}
const ORGS: Org[] = Array.from({ length: 8 }, (_, i) => {
  const orgId = `org_Consumer${String.fromCharCode(65 + i)}test`;
  return {
    orgId,
    user: { username: `${orgId}-user`, password: randomBytes(12).toString('hex'), orgId },
    runs: `${orgId}.runs`,
    changes: `${orgId}.change.log`,
  };
});
let nextOrg = 0;
const takeOrg = (): Org => {
  const org = ORGS[nextOrg++];
  if (org === undefined) throw new Error('add more ORGS');
  return org;
};

let broker: KafkaBroker;
let producer: Producer;

/** CONSUMER_TEST_LOG=DEBUG shows the consumer's own log lines when a test needs explaining. */
const quietLogger = () =>
  new Logger({
    serviceName: 'consumer-test',
    logLevel: (process.env.CONSUMER_TEST_LOG as 'INFO' | undefined) ?? 'SILENT',
    jsonReplacerFn: redactSecrets,
  });

/** The consumer's settings as a container would set them, pointed at the test broker. */
const envFor = (org: Org, overrides: Record<string, string> = {}): Record<string, string> => ({
  PORT_ORG_ID: org.orgId,
  KAFKA_BROKERS: broker.bootstrapServers,
  KAFKA_USERNAME: org.user.username,
  KAFKA_PASSWORD: org.user.password,
  KAFKA_CONSUMER_GROUP: `${org.orgId}.consumer-test`,
  KAFKA_CA_FILE: broker.caPath,
  KAFKA_STARTING_POSITION: 'TRIM_HORIZON',
  KAFKA_BATCH_WINDOW_MS: '100',
  CONSUMER_NAME: 'consumer-test',
  ...overrides,
});

const produce = async (
  topic: string,
  messages: Array<{ partition: number; value: Buffer | string | null; key?: string | null }>
): Promise<number[]> => {
  const acks = await producer.send({ topic, messages: messages.map((m) => ({ ...m, key: m.key ?? null })) });
  return acks.map((a) => Number(a.baseOffset));
};

const runMessage = (action: string, inputs: Record<string, unknown> = {}) => {
  const message = v1Run(action, inputs);
  return { runId: String(message.context.runId), value: JSON.stringify(message) };
};

/** Committed offsets of a group, per partition, read over the admin listener. */
const committed = async (groupId: string, topic: string): Promise<Record<number, number>> =>
  withAdmin(createKafka(broker, 'internal'), async (admin) => {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  });

beforeAll(async () => {
  broker = await startKafkaBroker({ users: ORGS.map((o) => o.user) });
  await createTopics(broker, [
    ...ORGS.flatMap((o) => [{ topic: o.runs, numPartitions: 3 }, { topic: o.changes }]),
    { topic: `${ORGS[0]?.orgId ?? ''}.other` },
  ]);
  producer = createProducer(broker);
  await producer.connect();
}, 120_000);

afterAll(async () => {
  await producer?.disconnect();
  await broker?.stop();
});

/** Counts executions per run id: a run executed twice is the bug these tests exist to catch. */
const countingAction = (identifier: string, delayMs: (n: number) => number = () => 0) => {
  const executions = new Map<string, number>();
  const order: string[] = [];
  const action = defineAction({
    identifier,
    inputs: z.object({ n: z.number() }),
    handler: async ({ inputs, runId }) => {
      executions.set(runId, (executions.get(runId) ?? 0) + 1);
      await sleep(delayMs(inputs.n));
      order.push(runId);
      return { summary: `${identifier} ${inputs.n}` };
    },
  });
  return { action, executions, order };
};

describe('consumer → handler → Port', () => {
  let harness: Harness | undefined;
  let consumers: RunningConsumer[] = [];
  afterEach(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await harness?.close();
    consumers = [];
    harness = undefined;
  });

  const start = async (org: Org, h: Harness, env: Record<string, string> = {}, spy?: (event: unknown) => void) => {
    const consumer = await startConsumer({
      config: loadConsumerConfig(envFor(org, env)),
      logger: quietLogger(),
      retryDelayMs: () => 100,
      handler: async (event, context) => {
        spy?.(event);
        return h.handler(event, context);
      },
    });
    consumers.push(consumer);
    return consumer;
  };

  it('turns runs and change events on the topics into handled batches, in partition order, and commits them', async () => {
    const org = takeOrg();
    // Earlier records sleep longer: only sequential handling per partition keeps the order.
    const echo = countingAction('echo', (n) => (n < 3 ? 40 : 0));
    const changes: string[] = [];
    harness = await createHarness({
      actions: [echo.action],
      changeHandlers: [
        defineChangeHandler({ identifier: 'record', match: {}, handler: async (change) => void changes.push(change.resourceType) }),
      ],
      config: { orgId: org.orgId },
    });
    const h = harness;
    const runs = Array.from({ length: 9 }, (_, n) => ({ ...runMessage('echo', { n }), partition: n % 3 }));
    for (const run of runs) h.emulator.createRun({ id: run.runId, action: 'echo' });
    await produce(
      org.runs,
      runs.map((r) => ({ partition: r.partition, value: r.value }))
    );
    await produce(org.changes, [{ partition: 0, value: JSON.stringify(loadEvent('change-entity-update.json')) }]);

    const events: LambdaSelfManagedKafkaEvent[] = [];
    const consumer = await start(org, h, { KAFKA_CONSUME_CHANGE_LOG: 'true', KAFKA_BATCH_SIZE: '4' }, (e) =>
      events.push(e as LambdaSelfManagedKafkaEvent)
    );
    await waitFor('9 runs to end', () => runs.every((r) => h.emulator.getRun(r.runId)?.status === 'SUCCESS'));
    await waitFor('the change event', () => changes.length === 1);

    for (const partition of [0, 1, 2]) {
      const expected = runs.filter((r) => r.partition === partition).map((r) => r.runId);
      expect(echo.order.filter((id) => expected.includes(id))).toEqual(expected);
    }
    expect([...echo.executions.values()].every((n) => n === 1)).toBe(true);
    // Exactly the Lambda event shape, in batches of at most KAFKA_BATCH_SIZE.
    const all = events.flatMap((e) => Object.values(e.records).flat());
    expect(all).toHaveLength(10);
    expect(events.every((e) => Object.values(e.records).flat().length <= 4)).toBe(true);
    for (const event of events) {
      expect(event.eventSource).toBe('SelfManagedKafka');
      expect(event.bootstrapServers).toBe(broker.bootstrapServers);
      for (const [key, records] of Object.entries(event.records)) {
        expect(records.every((r) => key === `${r.topic}-${r.partition}`)).toBe(true);
      }
    }
    const record = all.find((r) => r.topic === org.runs);
    expect(record).not.toHaveProperty('key');
    expect(JSON.parse(Buffer.from(record?.value ?? '', 'base64').toString('utf8'))).toMatchObject({ action: 'echo' });

    await consumer.stop();
    expect(await committed(`${org.orgId}.consumer-test`, org.runs)).toEqual({ 0: 3, 1: 3, 2: 3 });
    expect(await committed(`${org.orgId}.consumer-test`, org.changes)).toEqual({ 0: 1 });
  }, 60_000);

  it('parks a poison record and keeps its partition moving', async () => {
    const org = takeOrg();
    const echo = countingAction('echo');
    harness = await createHarness({ actions: [echo.action], config: { orgId: org.orgId } });
    const h = harness;
    const before = runMessage('echo', { n: 1 });
    const after = runMessage('echo', { n: 2 });
    for (const run of [before, after]) h.emulator.createRun({ id: run.runId, action: 'echo' });
    await produce(org.runs, [
      { partition: 0, value: before.value },
      { partition: 0, value: Buffer.from([0xff, 0xfe, 0x00, 0x7b]) },
      { partition: 0, value: '{"action": "echo", "context": ' },
      { partition: 0, value: after.value },
    ]);

    const consumer = await start(org, h);
    await waitFor('both runs to end', () => [before, after].every((r) => h.emulator.getRun(r.runId)?.status === 'SUCCESS'));
    await consumer.stop();
    expect(h.parker.records.map((r) => [r.partition, r.offset])).toEqual([
      [0, 1],
      [0, 2],
    ]);
    expect(await committed(`${org.orgId}.consumer-test`, org.runs)).toMatchObject({ 0: 4 });
  }, 60_000);

  it.each([
    ['a partial batch response', true],
    ['a thrown batch error', false],
  ])(
    'keeps records Port could not take (handler reports %s) and hands them over again, executing each run once',
    async (_, reportBatchItemFailures) => {
      const org = takeOrg();
      const echo = countingAction('echo');
      harness = await createHarness({ actions: [echo.action], config: { orgId: org.orgId, reportBatchItemFailures } });
      const h = harness;
      const runs = Array.from({ length: 4 }, (_, n) => ({ ...runMessage('echo', { n }), partition: n % 2 }));
      for (const run of runs) h.emulator.createRun({ id: run.runId, action: 'echo' });
      // Port answers 503 to every run call for a while: the handler leaves the records for a retry.
      h.emulator.faults.push({ match: { path: /\/v1\/actions\/runs\// }, times: 30, respond: { status: 503 } });
      let invocations = 0;
      const consumer = await start(org, h, {}, () => (invocations += 1));
      await produce(
        org.runs,
        runs.map((r) => ({ partition: r.partition, value: r.value }))
      );
      await waitFor('runs to end after the outage', () => runs.every((r) => h.emulator.getRun(r.runId)?.status === 'SUCCESS'), 30_000);
      await consumer.stop();
      expect(invocations).toBeGreaterThan(1);
      expect(runs.map((r) => echo.executions.get(r.runId))).toEqual([1, 1, 1, 1]);
      expect(await committed(`${org.orgId}.consumer-test`, org.runs)).toMatchObject({ 0: 2, 1: 2 });
    },
    60_000
  );

  // `npm run consume` always turns partial batch responses on; with them off (the Lambda
  // default) a stopped batch is redelivered whole and the status check in Port keeps the
  // runs that already ended from running again.
  it.each([
    ['partial batch responses (the consumer default)', true],
    ['whole-batch retries', false],
  ])(
    'stopped mid-stream and restarted, neither loses a message nor executes a run twice, with %s',
    async (_, reportBatchItemFailures) => {
      const org = takeOrg();
      const slow = countingAction('slow', () => 120);
      harness = await createHarness({ actions: [slow.action], config: { orgId: org.orgId, reportBatchItemFailures } });
      const h = harness;
      const runs = Array.from({ length: 12 }, (_, n) => runMessage('slow', { n }));
      for (const run of runs) h.emulator.createRun({ id: run.runId, action: 'slow' });
      await produce(
        org.runs,
        runs.map((r) => ({ partition: 0, value: r.value }))
      );

      const first = await start(org, h, { KAFKA_BATCH_SIZE: '5' });
      await waitFor('a few runs to end', () => slow.order.length >= 3);
      await first.stop(); // mid-batch: the run in hand finishes, the rest of the batch is not started
      const ended = runs.filter((r) => h.emulator.getRun(r.runId)?.status === 'SUCCESS').length;
      expect(ended).toBeGreaterThanOrEqual(3);
      expect(ended).toBeLessThan(12);
      expect(slow.executions.size).toBe(ended);
      const committedAfterStop = (await committed(`${org.orgId}.consumer-test`, org.runs))[0] ?? -1;
      if (reportBatchItemFailures) expect(committedAfterStop).toBe(ended);
      else expect(committedAfterStop).toBe(Math.floor(ended / 5) * 5 || -1); // only whole batches

      const secondOffsets: number[] = [];
      await start(org, h, { KAFKA_BATCH_SIZE: '5' }, (e) =>
        secondOffsets.push(
          ...Object.values((e as LambdaSelfManagedKafkaEvent).records)
            .flat()
            .map((r) => r.offset)
        )
      );
      await waitFor('every run to end', () => runs.every((r) => h.emulator.getRun(r.runId)?.status === 'SUCCESS'), 30_000);
      // The restart resumes exactly at the first record not committed.
      expect(Math.min(...secondOffsets)).toBe(Math.max(committedAfterStop, 0));
      expect(runs.map((r) => slow.executions.get(r.runId))).toEqual(runs.map(() => 1));
    },
    60_000
  );
});

describe('errors a user can act on', () => {
  const fast = { retries: 1, retryDelay: 50, connectTimeout: 2_000 };
  const attempt = async (
    env: Record<string, string>,
    tweak: (c: ReturnType<typeof loadConsumerConfig>) => ReturnType<typeof loadConsumerConfig> = (c) => c
  ) => {
    const org = ORGS[0] as Org;
    const error = await startConsumer({
      config: tweak(loadConsumerConfig(envFor(org, env))),
      logger: quietLogger(),
      handler: async () => ({ batchItemFailures: [] }),
      clientOptions: fast,
    }).then(
      async (c) => {
        await c.stop();
        throw new Error('the consumer started');
      },
      (e: unknown) => e
    );
    expect(error).toBeInstanceOf(KafkaConsumeError);
    const message = (error as KafkaConsumeError).message;
    expect(message).not.toContain('\n');
    expect(message).not.toContain(org.user.password);
    return error as KafkaConsumeError;
  };

  it('wrong password', async () => {
    const error = await attempt({ KAFKA_PASSWORD: 'not-the-password' });
    expect(error.reason).toBe('authentication');
    expect(error.message).toContain('org_ConsumerAtest-user');
  }, 30_000);

  it('a consumer group Port does not allow (past the config check)', async () => {
    const error = await attempt({}, (c) => ({ ...c, groupId: 'someone-else.group' }));
    expect(error.reason).toBe('group-authorization');
    expect(error.message).toContain('"someone-else.group"');
  }, 30_000);

  it('a topic the user cannot read', async () => {
    const error = await attempt({}, (c) => ({ ...c, topics: [`${c.orgId}.other`] }));
    expect(error.reason).toBe('topic-authorization');
    expect(error.message).toContain('org_ConsumerAtest.other');
  }, 30_000);

  it('brokers unreachable', async () => {
    const error = await attempt({ KAFKA_BROKERS: '127.0.0.1:9' });
    expect(error.reason).toBe('unreachable');
    expect(error.message).toContain('127.0.0.1:9');
  }, 30_000);

  it('a broker certificate the consumer does not trust', async () => {
    const error = await attempt({}, (c) => {
      const { caFile: _ignored, ...rest } = c;
      return rest;
    });
    expect(error.reason).toBe('tls');
    expect(error.message).toContain('KAFKA_CA_FILE');
  }, 30_000);
});
