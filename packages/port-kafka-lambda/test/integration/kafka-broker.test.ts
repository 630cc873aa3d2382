// A real single-node Kafka 4.x broker (SASL_SSL + SCRAM-SHA-512, ACLs like Port's hosted
// cluster) is started from Maven Central jars, and records consumed from it are turned into
// the exact event a Lambda Kafka event source mapping delivers.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import kafkajs, { type IHeaders, type KafkaConfig } from 'kafkajs';
import {
  type ConsumedKafkaRecord,
  consumeTopic,
  createKafka,
  createProducer,
  createTopics,
  ensureKafkaJars,
  type KafkaBroker,
  type LambdaKafkaRecord,
  type ScramUser,
  startKafkaBroker,
  toLambdaKafkaEvent,
  withAdmin,
} from '../kafka-broker/index.js';

const ORG = 'ORGID';
const USER: ScramUser = { username: `${ORG}-user`, password: randomBytes(12).toString('hex'), orgId: ORG };
const RUNS = `${ORG}.runs`;
const CHANGE_LOG = `${ORG}.change.log`;
const FOREIGN_TOPIC = 'OTHERORG.runs';
/** Has the org prefix but is neither of the two topics Port grants: must be denied. */
const OTHER_ORG_TOPIC = `${ORG}.other`;
// Default import: kafkajs is CommonJS and Node's ESM loader cannot see most of its named exports.
const { Partitioners } = kafkajs;

let broker: KafkaBroker;

beforeAll(async () => {
  const jars = await ensureKafkaJars(); // up to a minute on a cold ~/.m2
  broker = await startKafkaBroker({ users: [USER] });
  await createTopics(broker, [
    { topic: RUNS, numPartitions: 3 },
    { topic: CHANGE_LOG, numPartitions: 1 },
    { topic: FOREIGN_TOPIC, numPartitions: 1 },
    { topic: OTHER_ORG_TOPIC, numPartitions: 1 },
  ]);
  console.log(
    `Kafka test broker: startup ${broker.startupMs} ms (format + JVM + ACLs + group coordinator); ` +
      `jars ${jars.jarCount} files, ${(jars.totalBytes / 1024 / 1024).toFixed(1)} MiB in ${jars.libDir}` +
      (jars.downloaded ? `, downloaded in ${jars.durationMs} ms` : ' (cached)')
  );
}, 180_000);

afterAll(async () => {
  await broker?.stop();
});

/** Produces as the harness superuser over the same SASL_SSL listener the user reaches. */
async function produce(topic: string, messages: OutgoingMessage[]): Promise<void> {
  const producer = createProducer(broker, broker.admin);
  await producer.connect();
  try {
    // One send per message keeps the offsets within each partition in list order.
    for (const message of messages) {
      await producer.send({ topic, acks: -1, messages: [message] });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Client overrides that record the `type` of every error kafkajs logs, and that list. kafkajs
 * reports a denied FindCoordinator only as "Failed to find group coordinator"
 * (KafkaJSGroupCoordinatorNotFound); the broker's actual error code reaches nothing but its
 * debug log, so capture that.
 */
function capturingErrorTypes(): { overrides: Partial<KafkaConfig>; errorTypes: string[] } {
  const errorTypes: string[] = [];
  const overrides: Partial<KafkaConfig> = {
    logLevel: kafkajs.logLevel.DEBUG,
    logCreator: () => (entry) => {
      const error: unknown = (entry.log as { error?: unknown }).error;
      if (typeof error === 'object' && error !== null && 'type' in error) errorTypes.push(String(error.type));
    },
  };
  return { overrides, errorTypes };
}

/**
 * Joins `groupId` as the org user the way Lambda's poller does (subscribe to RUNS, run) and
 * returns what the consumer crashed with plus the error types kafkajs logged on the way, or
 * throws if it joined instead of crashing.
 */
async function joinGroupExpectingCrash(groupId: string): Promise<{ crash: unknown; errorTypes: string[] }> {
  const { overrides, errorTypes } = capturingErrorTypes();
  const consumer = createKafka(broker, USER, { ...overrides, retry: { retries: 0 } }).consumer({
    groupId,
    maxWaitTimeInMs: 200,
    // One attempt, and no restart after the crash: the denial is permanent.
    retry: { retries: 0, restartOnFailure: async () => false },
  });
  let timer: NodeJS.Timeout | undefined;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [RUNS], fromBeginning: true });
    const outcome = new Promise<{ crash: unknown } | 'joined' | 'timeout'>((resolve) => {
      consumer.on(consumer.events.CRASH, (event) => resolve({ crash: event.payload.error }));
      consumer.on(consumer.events.GROUP_JOIN, () => resolve('joined'));
      timer = setTimeout(() => resolve('timeout'), 10_000);
    });
    await consumer.run({ eachMessage: async () => {} });
    const result = await outcome;
    if (typeof result === 'string') throw new Error(`consumer group "${groupId}" was not denied: ${result}`);
    return { crash: result.crash, errorTypes };
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
}

/** How many records `topic` holds (high minus low watermark over all partitions), via the superuser. */
async function recordCount(topic: string): Promise<number> {
  const offsets = await withAdmin(createKafka(broker, 'internal'), (admin) => admin.fetchTopicOffsets(topic));
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

interface OutgoingMessage {
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  headers?: IHeaders;
}

describe('SCRAM-SHA-512 over TLS', () => {
  it('accepts the right password and lets the org user describe its topics', async () => {
    const metadata = await withAdmin(createKafka(broker, USER), (admin) => admin.fetchTopicMetadata({ topics: [RUNS] }));
    expect(metadata.topics).toHaveLength(1);
    expect(metadata.topics[0]?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
  });

  it('rejects a wrong password with a SASL authentication error', async () => {
    const kafka = createKafka(broker, { ...USER, password: 'wrong-password' }, { retry: { retries: 0 } });
    await expect(withAdmin(kafka, (admin) => admin.listTopics())).rejects.toMatchObject({
      name: 'KafkaJSSASLAuthenticationError',
    });
  });

  it('rejects an unknown user', async () => {
    const kafka = createKafka(broker, { username: 'nobody', password: 'x' }, { retry: { retries: 0 } });
    await expect(withAdmin(kafka, (admin) => admin.listTopics())).rejects.toMatchObject({
      name: 'KafkaJSSASLAuthenticationError',
    });
  });

  it('is real TLS: a client that does not trust the test CA fails the handshake', async () => {
    const kafka = createKafka(broker, USER, { ssl: true, retry: { retries: 0 } }); // system CAs only
    await expect(withAdmin(kafka, (admin) => admin.listTopics())).rejects.toThrow(/self[- ]signed|certificate/i);
  });
});

describe("ACLs like the hosted cluster: the org's two topics and its groups, read-only", () => {
  it('a consumer group with the org prefix consumes and commits offsets', async () => {
    await produce(CHANGE_LOG, [
      { partition: 0, key: Buffer.from('a'), value: Buffer.from('{"n":1}'), timestamp: '1700000000001' },
      { partition: 0, key: Buffer.from('b'), value: Buffer.from('{"n":2}'), timestamp: '1700000000002' },
    ]);
    const groupId = `${ORG}.change-log-test`;
    const records = await consumeTopic(broker, { topic: CHANGE_LOG, groupId, user: USER, count: 2 });
    expect(records.map((r) => r.message.value?.toString())).toEqual(['{"n":1}', '{"n":2}']);

    const committed = await withAdmin(createKafka(broker, USER), (admin) => admin.fetchOffsets({ groupId, topics: [CHANGE_LOG] }));
    expect(committed[0]?.partitions[0]?.offset).toBe('2');
  });

  it('denies a consumer group without the org prefix', async () => {
    const { overrides, errorTypes } = capturingErrorTypes();
    const kafka = createKafka(broker, USER, { ...overrides, retry: { retries: 1 } });
    await expect(withAdmin(kafka, (admin) => admin.fetchOffsets({ groupId: 'someone-else', topics: [CHANGE_LOG] }))).rejects.toMatchObject({
      name: 'KafkaJSGroupCoordinatorNotFound',
    });
    expect(errorTypes).toContain('GROUP_AUTHORIZATION_FAILED');
  });

  it('shows the org user only its two topics, although others exist', async () => {
    const topics = await withAdmin(createKafka(broker, USER), (admin) => admin.listTopics());
    expect(topics.sort()).toEqual([CHANGE_LOG, RUNS].sort());
  });

  it('denies a topic with the org prefix that is neither runs nor change.log (topic ACLs are literal)', async () => {
    // The group is one the user may use, so only the topic can be the reason.
    await expect(
      consumeTopic(broker, { topic: OTHER_ORG_TOPIC, groupId: `${ORG}.other-reader`, user: USER, count: 1, timeoutMs: 5_000 })
    ).rejects.toMatchObject({ name: 'KafkaJSProtocolError', type: 'TOPIC_AUTHORIZATION_FAILED' });
  });

  it.each([
    [`${ORG}x.g`, 'shares the org id but not the trailing dot'],
    ['other.g', 'belongs to nobody'],
    [`${USER.username}.g`, 'only starts with the username (the username group is literal)'],
  ])('denies joining consumer group %s, which %s', async (groupId) => {
    const { crash, errorTypes } = await joinGroupExpectingCrash(groupId);
    expect(crash).toMatchObject({ name: 'KafkaJSGroupCoordinatorNotFound' });
    expect(errorTypes).toContain('GROUP_AUTHORIZATION_FAILED');
  });

  it("denies another org's topic", async () => {
    const kafka = createKafka(broker, USER, { retry: { retries: 0 } });
    await expect(withAdmin(kafka, (admin) => admin.fetchTopicMetadata({ topics: [FOREIGN_TOPIC] }))).rejects.toMatchObject({
      type: 'TOPIC_AUTHORIZATION_FAILED',
    });
  });

  it('denies writes: the org user is read-only', async () => {
    const producer = createKafka(broker, USER, { retry: { retries: 0 } }).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 0 },
    });
    await producer.connect();
    try {
      await expect(producer.send({ topic: RUNS, messages: [{ value: 'x' }] })).rejects.toMatchObject({
        type: 'TOPIC_AUTHORIZATION_FAILED',
      });
    } finally {
      await producer.disconnect();
    }
  });
});

describe('records consumed from the broker → Lambda SelfManagedKafka event', () => {
  const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
  const multibyte = 'héllo — 日本語 🚀';
  // Per partition, in the order they are produced (so offsets 0, 1, ... in this order).
  const sent: OutgoingMessage[] = [
    {
      partition: 0,
      key: Buffer.from('run_1'),
      value: json({ action: { identifier: 'deploy' }, context: { runId: 'r_1' } }),
      timestamp: '1700000000100',
      // Repeated name, contiguous: kafkajs folds it into an array and re-expands it in order.
      headers: { 'content-type': 'application/json', 'x-trace': ['first', 'second'], 'x-note': multibyte },
    },
    { partition: 0, key: null, value: json({ keyless: true }), timestamp: '1700000000101' },
    { partition: 1, key: Buffer.from('run_2'), value: null, timestamp: '1700000000200' }, // tombstone
    { partition: 1, key: Buffer.from('run_3'), value: Buffer.from('not json {', 'utf8'), timestamp: '1700000000201' },
    {
      partition: 2,
      key: Buffer.from([0xff, 0x00, 0xfe]),
      value: Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xff, 0x00]), // not valid UTF-8
      timestamp: '1700000000300',
      headers: { 'x-bytes': Buffer.from([0x00, 0xff, 0x80]), 'x-dup': ['1', '2', '3'] },
    },
    { partition: 2, key: Buffer.from('run_5'), value: json([1, 'two', null]), timestamp: '1700000000301' },
  ];

  let consumed: ConsumedKafkaRecord[] = [];

  beforeAll(async () => {
    await produce(RUNS, sent);
    consumed = await consumeTopic(broker, { topic: RUNS, groupId: `${ORG}.lambda-esm`, user: USER, count: sent.length });
  }, 60_000);

  /** Header list as (name, bytes) pairs in order, from the producer's IHeaders. */
  function expectedHeaders(headers: IHeaders | undefined): Array<[string, Buffer]> {
    return Object.entries(headers ?? {}).flatMap(([name, raw]) =>
      (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map((v): [string, Buffer] => [
        name,
        Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8'),
      ])
    );
  }

  /** Decodes a Lambda record back to bytes. */
  function decode(record: LambdaKafkaRecord): { key: Buffer | null; value: Buffer | null; headers: Array<[string, Buffer]> } {
    return {
      key: record.key === undefined || record.key === null ? null : Buffer.from(record.key, 'base64'),
      value: record.value === null ? null : Buffer.from(record.value, 'base64'),
      headers: record.headers.map((header): [string, Buffer] => {
        const entries = Object.entries(header);
        expect(entries).toHaveLength(1); // one name per header object
        const [name, bytes] = entries[0] ?? ['', []];
        return [name, Buffer.from(bytes)];
      }),
    };
  }

  it('consumes every produced record', () => {
    expect(consumed).toHaveLength(sent.length);
  });

  it('builds the SelfManagedKafka envelope with "topic-partition" keys', () => {
    const event = toLambdaKafkaEvent(consumed, { bootstrapServers: [broker.bootstrapServers] });
    expect(event.eventSource).toBe('SelfManagedKafka');
    expect('eventSourceArn' in event).toBe(false);
    expect(event.bootstrapServers).toBe(broker.bootstrapServers);
    expect(Object.keys(event.records).sort()).toEqual([`${RUNS}-0`, `${RUNS}-1`, `${RUNS}-2`]);
    // Lambda delivers JSON: nothing in the event may be lost by serialisation.
    expect(JSON.parse(JSON.stringify(event))).toEqual(event);
  });

  it('decodes back exactly to what was produced, in offset order per partition', () => {
    const event = toLambdaKafkaEvent(consumed, { bootstrapServers: broker.bootstrapServers });
    for (const partition of [0, 1, 2]) {
      const expected = sent.filter((m) => m.partition === partition);
      const records = event.records[`${RUNS}-${partition}`] ?? [];
      expect(records.map((r) => r.offset)).toEqual(expected.map((_, i) => i)); // fresh topic: 0, 1, ...
      records.forEach((record, i) => {
        const want = expected[i];
        expect(want).toBeDefined();
        if (want === undefined) return;
        expect(record.topic).toBe(RUNS);
        expect(record.partition).toBe(partition);
        expect(typeof record.offset).toBe('number');
        expect(record.timestamp).toBe(Number(want.timestamp));
        expect(record.timestampType).toBe('CREATE_TIME');
        const got = decode(record);
        expect(got.key).toEqual(want.key);
        expect(got.value).toEqual(want.value);
        expect(got.headers).toEqual(expectedHeaders(want.headers));
      });
    }
  });

  it('renders edge cases the way Lambda does', () => {
    const event = toLambdaKafkaEvent(consumed, { bootstrapServers: broker.bootstrapServers });
    const [first, keyless] = event.records[`${RUNS}-0`] ?? [];
    const [tombstone] = event.records[`${RUNS}-1`] ?? [];
    const [binary] = event.records[`${RUNS}-2`] ?? [];
    // Null key: the property is absent by default.
    expect(keyless).toBeDefined();
    expect(keyless !== undefined && 'key' in keyless).toBe(false);
    expect(tombstone?.value).toBeNull();
    // Headers are arrays of byte numbers, repeated names as separate objects, in order.
    expect(first?.headers).toEqual([
      { 'content-type': [...Buffer.from('application/json')] },
      { 'x-trace': [...Buffer.from('first')] },
      { 'x-trace': [...Buffer.from('second')] },
      { 'x-note': [...Buffer.from(multibyte, 'utf8')] },
    ]);
    expect(Buffer.from(first?.headers[3]?.['x-note'] ?? []).toString('utf8')).toBe(multibyte);
    // Invalid UTF-8 survives because values are base64 of the raw bytes, not re-encoded text.
    expect(binary?.value).toBe(Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xff, 0x00]).toString('base64'));
    expect(binary?.headers.map((h) => Object.keys(h)[0])).toEqual(['x-bytes', 'x-dup', 'x-dup', 'x-dup']);
  });

  it('builds the MSK (aws:kafka) shape and the key: null variant on request', () => {
    const arn = 'arn:aws:kafka:eu-west-1:123456789012:cluster/test/abc';
    const event = toLambdaKafkaEvent(consumed, {
      eventSource: 'aws:kafka',
      eventSourceArn: arn,
      bootstrapServers: [broker.bootstrapServers, 'b-2.example:9096'],
      nullKey: 'null',
    });
    expect(event.eventSource).toBe('aws:kafka');
    expect(event.eventSourceArn).toBe(arn);
    expect(event.bootstrapServers).toBe(`${broker.bootstrapServers},b-2.example:9096`);
    const keyless = event.records[`${RUNS}-0`]?.[1];
    expect(keyless).toMatchObject({ key: null, offset: 1 });
  });

  it('orders records by offset within a partition even when given out of order', () => {
    const event = toLambdaKafkaEvent([...consumed].reverse(), { bootstrapServers: broker.bootstrapServers });
    for (const records of Object.values(event.records)) {
      const offsets = records.map((r) => r.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(offsets.length).toBeGreaterThan(0);
    }
  });
});

// Last on purpose: it writes to RUNS, and the Lambda block above asserts offsets from 0 there.
describe('ACLs like the hosted cluster: the org user consumes <ORG>.runs', () => {
  const marker = `acl-marker-${randomBytes(4).toString('hex')}`;
  let total = 0;

  beforeAll(async () => {
    await produce(RUNS, [{ partition: 0, key: null, value: Buffer.from(marker), timestamp: String(Date.now()) }]);
    total = await recordCount(RUNS);
  }, 30_000);

  it.each([
    [`${ORG}.something`, 'a group with the org prefix'],
    [USER.username, 'the group named like the username'],
  ])('with group %s (%s), committing offsets', async (groupId) => {
    const records = await consumeTopic(broker, { topic: RUNS, groupId, user: USER, count: total, timeoutMs: 15_000 });
    expect(records).toHaveLength(total);
    expect(records.map((r) => r.message.value?.toString())).toContain(marker);

    const committed = await withAdmin(createKafka(broker, USER), (admin) => admin.fetchOffsets({ groupId, topics: [RUNS] }));
    const committedTotal = (committed[0]?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    expect(committedTotal).toBe(total);
  });
});
