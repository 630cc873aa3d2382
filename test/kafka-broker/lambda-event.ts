import type { MSKEvent, SelfManagedKafkaEvent, SelfManagedKafkaRecord } from 'aws-lambda';

/**
 * One header as Lambda delivers it: a single-key object mapping the header name to the value's
 * bytes as numbers. Lambda sends one object per header occurrence, so repeated names appear as
 * separate objects.
 */
export type LambdaKafkaHeader = Record<string, number[]>;

/**
 * A record exactly as Lambda delivers it. @types/aws-lambda types `key` and `value` as
 * non-null strings, which is wrong: a record without a key has no `key` field (or, in some
 * fixtures, `key: null`), and a tombstone has `value: null`.
 */
export interface LambdaKafkaRecord extends Omit<SelfManagedKafkaRecord, 'key' | 'value' | 'headers'> {
  key?: string | null;
  value: string | null;
  headers: LambdaKafkaHeader[];
}

type RecordsByTopicPartition = Record<string, LambdaKafkaRecord[]>;

export interface LambdaSelfManagedKafkaEvent extends Omit<SelfManagedKafkaEvent, 'records'> {
  records: RecordsByTopicPartition;
}

export interface LambdaMskEvent extends Omit<MSKEvent, 'records'> {
  records: RecordsByTopicPartition;
}

export type LambdaKafkaEvent = LambdaSelfManagedKafkaEvent | LambdaMskEvent;

/** A header value as kafkajs decodes it (null when the producer sent a null header value). */
export type ConsumedHeaderValue = Buffer | string | null | undefined;

/** The parts of kafkajs's `KafkaMessage` that Lambda forwards; kafkajs messages fit as they are. */
export interface ConsumedKafkaMessage {
  /** Decimal string (kafkajs uses strings because offsets are int64). */
  offset: string;
  /** Epoch milliseconds as a decimal string. */
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  /**
   * kafkajs folds the wire's header list into an object: a repeated name becomes an array in
   * arrival order. Interleavings between different names (a, b, a) are lost by kafkajs itself.
   */
  headers?: Record<string, ConsumedHeaderValue | ConsumedHeaderValue[]>;
}

export interface ConsumedKafkaRecord {
  topic: string;
  partition: number;
  message: ConsumedKafkaMessage;
  /** Default CREATE_TIME (what the producer-set timestamps in these tests are). */
  timestampType?: 'CREATE_TIME' | 'LOG_APPEND_TIME';
}

interface CommonEventOptions {
  /** Array (joined with ",") or an already comma-separated string. */
  bootstrapServers: string | readonly string[];
  /**
   * How a record without a key is rendered. Default 'omit': the `key` property is left out,
   * which is what real self-managed Kafka events do (records without a key arrive with no
   * `key` field; see aws-powertools/powertools-lambda-python#6508). 'null' renders `key: null`,
   * the other form seen in Powertools' fixtures, so handlers can be tested against both.
   */
  nullKey?: 'omit' | 'null';
}

export interface SelfManagedKafkaEventOptions extends CommonEventOptions {
  eventSource?: 'SelfManagedKafka';
}

export interface MskEventOptions extends CommonEventOptions {
  eventSource: 'aws:kafka';
  eventSourceArn: string;
}

/**
 * Builds the event a Lambda Kafka event source mapping would deliver for `records`.
 *
 * Records are grouped under `"<topic>-<partition>"` keys (in order of first appearance) and
 * sorted by offset within each group, since Lambda reads each partition sequentially.
 * Offsets and timestamps become JSON numbers, as Lambda sends them; an offset beyond 2^53
 * would lose precision, so it is rejected rather than silently rounded.
 */
export function toLambdaKafkaEvent(records: readonly ConsumedKafkaRecord[], options: MskEventOptions): LambdaMskEvent;
export function toLambdaKafkaEvent(
  records: readonly ConsumedKafkaRecord[],
  options: SelfManagedKafkaEventOptions,
): LambdaSelfManagedKafkaEvent;
export function toLambdaKafkaEvent(
  records: readonly ConsumedKafkaRecord[],
  options: SelfManagedKafkaEventOptions | MskEventOptions,
): LambdaKafkaEvent {
  const grouped: RecordsByTopicPartition = {};
  const offsetsByKey = new Map<string, bigint[]>();
  for (const record of records) {
    const groupKey = `${record.topic}-${record.partition}`;
    const group = (grouped[groupKey] ??= []);
    const offsets = offsetsByKey.get(groupKey) ?? [];
    offsetsByKey.set(groupKey, offsets);
    // Insertion sort by offset; input from a consumer is already ordered, so this is linear.
    const offset = BigInt(record.message.offset);
    let index = offsets.length;
    while (index > 0 && (offsets[index - 1] ?? 0n) > offset) index -= 1;
    offsets.splice(index, 0, offset);
    group.splice(index, 0, toLambdaRecord(record, options.nullKey ?? 'omit'));
  }

  const bootstrapServers =
    typeof options.bootstrapServers === 'string' ? options.bootstrapServers : options.bootstrapServers.join(',');
  if (options.eventSource === 'aws:kafka') {
    return { eventSource: 'aws:kafka', eventSourceArn: options.eventSourceArn, bootstrapServers, records: grouped };
  }
  return { eventSource: 'SelfManagedKafka', bootstrapServers, records: grouped };
}

function toLambdaRecord(record: ConsumedKafkaRecord, nullKey: 'omit' | 'null'): LambdaKafkaRecord {
  const { message } = record;
  const converted: LambdaKafkaRecord = {
    topic: record.topic,
    partition: record.partition,
    offset: toSafeNumber(message.offset, 'offset'),
    timestamp: toSafeNumber(message.timestamp, 'timestamp'),
    timestampType: record.timestampType ?? 'CREATE_TIME',
    value: message.value === null ? null : message.value.toString('base64'),
    headers: toLambdaHeaders(message.headers),
  };
  if (message.key !== null) converted.key = message.key.toString('base64');
  else if (nullKey === 'null') converted.key = null;
  return converted;
}

/**
 * One single-key object per header occurrence, names in kafkajs's object order, repeated
 * names expanded in arrival order. A null header value (legal in Kafka) becomes an empty
 * byte array: how Lambda renders it is not documented.
 */
export function toLambdaHeaders(headers: ConsumedKafkaMessage['headers']): LambdaKafkaHeader[] {
  const out: LambdaKafkaHeader[] = [];
  for (const [name, raw] of Object.entries(headers ?? {})) {
    if (raw === undefined) continue;
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      if (value === undefined) continue;
      const bytes = value === null ? [] : [...(typeof value === 'string' ? Buffer.from(value, 'utf8') : value)];
      // A computed key defines an own property even for "__proto__".
      out.push({ [name]: bytes });
    }
  }
  return out;
}

function toSafeNumber(decimal: string, field: string): number {
  const value = Number(decimal);
  if (!Number.isSafeInteger(value)) throw new Error(`Kafka ${field} ${decimal} is not a safe JSON integer.`);
  return value;
}
