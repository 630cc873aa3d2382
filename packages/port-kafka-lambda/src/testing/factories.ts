import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Context } from 'aws-lambda';
// Lambda's own shapes; key and value may be null or absent, unlike @types/aws-lambda says.
import type { LambdaKafkaEvent, LambdaKafkaRecord } from '../kafka/event.js';
import { portTopics } from '../port/kafka.js';

const ORG_ID = 'org_sYG4DOJZNGy8bYnt';
const { runs: RUNS_TOPIC, changeLog: CHANGES_TOPIC } = portTopics(ORG_ID);

/**
 * Loads a sample event from the project's `events/` folder (the one `npm run
 * demo` plays), as a fresh copy each call, so tests and the demo share one set.
 *
 * @example
 * ```ts
 * const message = loadEvent<{ runId: string }>('recommended-run-create-vm.json');
 * ```
 */
const loadEvent = <T = Record<string, unknown>>(name: string, folder = path.resolve('events')): T =>
  JSON.parse(readFileSync(path.join(folder, name), 'utf8')) as T;

type Value = unknown;

const encodeValue = (value: Value): string | null => {
  if (value === null) return null;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'string') return Buffer.from(value, 'utf8').toString('base64');
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
};

interface RecordSpec {
  topic?: string;
  partition?: number;
  offset?: number;
  /** An object is sent as JSON, a string as UTF-8 text, a Buffer as is, null as a tombstone. */
  value: Value;
  /** A string key, null for Lambda's explicit null, undefined to omit it. */
  key?: string | null;
  headers?: Record<string, string>[];
  /** Base64 sent verbatim as the value, bypassing encoding (malformed input tests). */
  rawValue?: string;
}

let nextOffset = 0;

/** Builds one Lambda Kafka record from a Port message. */
const kafkaRecord = (spec: RecordSpec): LambdaKafkaRecord => {
  const record: LambdaKafkaRecord = {
    topic: spec.topic ?? RUNS_TOPIC,
    partition: spec.partition ?? 0,
    offset: spec.offset ?? nextOffset++,
    timestamp: 1_763_700_000_000,
    timestampType: 'CREATE_TIME',
    value: spec.rawValue ?? encodeValue(spec.value),
    // Header values are arrays of byte values, one object per header.
    headers: (spec.headers ?? []).map((h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, [...Buffer.from(v, 'utf8')]]))),
  };
  if (spec.key !== undefined) record.key = spec.key === null ? null : Buffer.from(spec.key).toString('base64');
  return record;
};

/** Groups records under Lambda's `"<topic>-<partition>"` keys. */
const kafkaEvent = (records: LambdaKafkaRecord[], eventSource: LambdaKafkaEvent['eventSource'] = 'SelfManagedKafka'): LambdaKafkaEvent => {
  const grouped: Record<string, LambdaKafkaRecord[]> = {};
  for (const r of records) (grouped[`${r.topic}-${r.partition}`] ??= []).push(r);
  const bootstrapServers = 'b-1-public.example:9196,b-2-public.example:9196';
  return eventSource === 'aws:kafka'
    ? {
        eventSource,
        eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/port/abc-123',
        bootstrapServers,
        records: grouped,
      }
    : { eventSource, bootstrapServers, records: grouped };
};

/** Port messages spread over partitions of the runs topic, offsets counting up per partition. */
const runsEvent = (messages: Value[], partitions = 1): LambdaKafkaEvent => {
  const offsets = new Map<number, number>();
  return kafkaEvent(
    messages.map((value, i) => {
      const partition = i % partitions;
      const offset = offsets.get(partition) ?? 100;
      offsets.set(partition, offset + 1);
      return kafkaRecord({ value, partition, offset });
    })
  );
};

/** A v1 run message for `action` with the given inputs and a fresh run id. */
const v1Run = (action: string, inputs: Record<string, unknown>, runId = `r_${Math.random().toString(36).slice(2, 14)}`) => {
  const m = loadEvent<Record<string, unknown> & { context: Record<string, unknown>; payload: Record<string, unknown> }>(
    'v1-run-create-vm.json'
  );
  m.action = action;
  m.context.runId = runId;
  (m.payload.action as Record<string, unknown>).identifier = action;
  m.payload.properties = inputs;
  return m;
};

/** A minimal Lambda context with a controllable deadline. */
const lambdaContext = (remainingMs = 300_000): Context => {
  const start = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'port-kafka-lambda-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:port-kafka-lambda-test',
    memoryLimitInMB: '512',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: '/aws/lambda/port-kafka-lambda-test',
    logStreamName: '2026/11/25/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => Math.max(0, remainingMs - (Date.now() - start)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

export type { LambdaKafkaEvent, LambdaKafkaRecord, RecordSpec };
export { CHANGES_TOPIC, kafkaEvent, kafkaRecord, lambdaContext, loadEvent, ORG_ID, RUNS_TOPIC, runsEvent, v1Run };
