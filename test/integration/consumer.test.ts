// The long-lived consumer against a real Kafka broker set up like Port's (SASL_SSL,
// SCRAM-SHA-512, a self-signed CA, ACLs on the org's two topics and `<ORG_ID>.` groups):
// Port-shaped messages produced to the topics must come out as ended runs in the Port API
// emulator, through the same handler Lambda calls.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import kafkajs, { type Producer } from 'kafkajs';
import * as z from 'zod';
import { loadConsumerConfig, type ConsumerConfig } from '../../consumer/config.js';
import { startConsumer, type RunningConsumer } from '../../consumer/consumer.js';
import { KafkaConsumeError } from '../../consumer/errors.js';
import type { LambdaSelfManagedKafkaEvent } from '../../consumer/lambda-event.js';
import { defineAction } from '../../lambda/actions/define.js';
import { redactSecrets } from '../../lambda/logging/redact.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { ORG_ID, v1Run } from '../helpers/factories.js';
import { createKafka, createTopics, startKafkaBroker, withAdmin, type KafkaBroker, type ScramUser } from '../kafka-broker/index.js';

const { Partitioners } = kafkajs;

const RUNS = `${ORG_ID}.runs`;
const CHANGES = `${ORG_ID}.change.log`;
const USER: ScramUser = { username: `${ORG_ID}-user`, password: randomBytes(12).toString('hex'), orgId: ORG_ID };

let broker: KafkaBroker;
let producer: Producer;
let caDir: string;
let caFile: string;
let groupSeq = 0;

const quietLogger = () => new Logger({ serviceName: 'consumer-test', logLevel: 'SILENT', jsonReplacerFn: redactSecrets });

/** The consumer's settings as a container would set them, pointed at the test broker. */
const envFor = (overrides: Record<string, string> = {}): Record<string, string> => ({
  PORT_ORG_ID: ORG_ID,
  KAFKA_BROKERS: broker.bootstrapServers,
  KAFKA_USERNAME: USER.username,
  KAFKA_PASSWORD: USER.password,
  KAFKA_CONSUMER_GROUP: `${ORG_ID}.consumer-test-${(groupSeq += 1)}`,
  KAFKA_CA_FILE: caFile,
  KAFKA_STARTING_POSITION: 'TRIM_HORIZON',
  KAFKA_BATCH_WINDOW_MS: '100',
  CONSUMER_NAME: 'consumer-test',
  ...overrides,
});

const produce = async (topic: string, messages: Array<{ partition: number; value: Buffer | string | null; key?: string | null; headers?: Record<string, string> }>) => {
  const acks = await producer.send({ topic, messages: messages.map((m) => ({ key: m.key ?? null, ...m })) });
  return acks;
};

const runMessage = (action: string, inputs: Record<string, unknown> = {}) => {
  const message = v1Run(action, inputs);
  return { runId: String(message.context.runId), value: JSON.stringify(message) };
};

const waitFor = async (what: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(50);
  }
};

/** Committed offsets of a group, per partition, read over the admin listener. */
const committed = async (groupId: string, topic: string): Promise<Record<number, number>> =>
  withAdmin(createKafka(broker, 'internal'), async (admin) => {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  });

beforeAll(async () => {
  broker = await startKafkaBroker({ users: [USER] });
  await createTopics(broker, [{ topic: RUNS, numPartitions: 3 }, { topic: CHANGES }, { topic: `${ORG_ID}.other` }]);
  producer = createKafka(broker, 'internal').producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  caDir = mkdtempSync(join(tmpdir(), 'consumer-ca-'));
  caFile = join(caDir, 'ca.pem');
  writeFileSync(caFile, broker.ca);
}, 120_000);

afterAll(async () => {
  await producer?.disconnect();
  await broker?.stop();
  rmSync(caDir, { recursive: true, force: true });
});

describe('consumer → handler → Port', () => {
  let harness: Harness | undefined;
  let consumer: RunningConsumer | undefined;
  afterEach(async () => {
    await consumer?.stop();
    await harness?.close();
    consumer = undefined;
    harness = undefined;
  });

  it('turns runs produced to the topic into SUCCESS runs, in partition order, and commits after each batch', async () => {
    const order: string[] = [];
    const echo = defineAction({
      identifier: 'echo',
      inputs: z.object({ n: z.number() }),
      run: async ({ inputs, runId }) => {
        // Earlier records sleep longer: only sequential handling keeps the order.
        await sleep(inputs.n < 3 ? 40 : 0);
        order.push(runId);
        return { summary: `echo ${inputs.n}` };
      },
    });
    harness = await createHarness({ actions: [echo] });
    const runs = Array.from({ length: 9 }, (_, n) => ({ ...runMessage('echo', { n }), partition: n % 3 }));
    for (const run of runs) harness.emulator.createRun({ id: run.runId, action: 'echo' });
    await produce(RUNS, runs.map((r) => ({ partition: r.partition, value: r.value })));

    const config = loadConsumerConfig(envFor());
    const events: LambdaSelfManagedKafkaEvent[] = [];
    const h = harness;
    consumer = await startConsumer({
      config,
      logger: quietLogger(),
      handler: async (event, context) => {
        events.push(event as LambdaSelfManagedKafkaEvent);
        return h.handler(event, context);
      },
    });
    await waitFor('9 runs to end', () => runs.every((r) => h.emulator.getRun(r.runId)?.status === 'SUCCESS'));

    for (const partition of [0, 1, 2]) {
      const expected = runs.filter((r) => r.partition === partition).map((r) => r.runId);
      expect(order.filter((id) => expected.includes(id))).toEqual(expected);
    }
    // Exactly the Lambda event shape.
    const first = events[0];
    expect(first?.eventSource).toBe('SelfManagedKafka');
    expect(first?.bootstrapServers).toBe(broker.bootstrapServers);
    const record = Object.values(first?.records ?? {})[0]?.[0];
    expect(Object.keys(first?.records ?? {}).every((k) => /^org_[A-Za-z0-9]+\.runs-[0-2]$/.test(k))).toBe(true);
    expect(record).not.toHaveProperty('key');
    expect(JSON.parse(Buffer.from(record?.value ?? '', 'base64').toString('utf8'))).toMatchObject({ action: 'echo' });

    await consumer.stop();
    consumer = undefined;
    expect(await committed(config.groupId, RUNS)).toEqual({ 0: 3, 1: 3, 2: 3 });
  }, 60_000);
});
