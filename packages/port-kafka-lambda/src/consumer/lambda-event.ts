import { PortKafkaError } from '../errors.js';
import type {
  LambdaKafkaEvent,
  LambdaKafkaHeader,
  LambdaKafkaRecord,
  LambdaKafkaRecords,
  LambdaMskEvent,
  LambdaSelfManagedKafkaEvent,
} from '../kafka/event.js';

/**
 * Builds, from records read off the topic, exactly the event a Lambda
 * self-managed Kafka event source mapping delivers, so the consumer can hand
 * it to the very handler Lambda calls.
 */

/** A record as any Kafka client hands it over, before Lambda's encoding. */
interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  /** Epoch milliseconds. */
  timestamp: bigint;
  /** Defaults to CREATE_TIME (what producers set unless the topic says otherwise). */
  timestampType?: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  /** null: the producer sent no key (distinct from an empty key). */
  key: Buffer | null;
  /** null: a tombstone (compaction delete marker), distinct from an empty value. */
  value: Buffer | null;
  /** In wire order; a name may repeat. A null value is legal in Kafka. */
  headers: ReadonlyArray<readonly [name: string, value: Buffer | null]>;
}

/**
 * How a record without a key is rendered: 'omit' leaves the `key` property out,
 * which is what real self-managed Kafka events do; 'null' renders `key: null`,
 * the other form seen in AWS fixtures, so handlers can be tested against both.
 */
type NullKeyStyle = 'omit' | 'null';

class UnsafeKafkaNumberError extends PortKafkaError {
  constructor(field: string, value: bigint) {
    super(`Kafka ${field} ${value} is beyond ±2^53 and cannot be sent as a JSON number as Lambda does`);
    this.name = 'UnsafeKafkaNumberError';
  }
}

// Negative values pass: Kafka writes timestamp -1 for "no timestamp" (records from
// pre-0.10 producers), and refusing one would stall its partition.
const toSafeNumber = (value: bigint, field: string): number => {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new UnsafeKafkaNumberError(field, value);
  }
  return Number(value);
};

/**
 * One single-key object per header occurrence (repeated names are separate
 * objects), in wire order. A null header
 * value becomes an empty byte array: how Lambda renders one is not documented.
 */
const toLambdaHeaders = (headers: ConsumedRecord['headers']): LambdaKafkaHeader[] =>
  // A computed key defines an own property even for "__proto__".
  headers.map(([name, value]) => ({ [name]: value === null ? [] : byteList(value) }));

/** Buffer → number[]; a plain loop is ~4x faster than spreading the Buffer's iterator. */
const byteList = (bytes: Buffer): number[] => {
  const out = new Array<number>(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] ?? 0;
  return out;
};

/**
 * Lambda sends offsets and timestamps as JSON numbers; one beyond 2^53 would
 * silently round, so it is refused instead.
 */
const toLambdaRecord = (record: ConsumedRecord, nullKey: NullKeyStyle = 'omit'): LambdaKafkaRecord => {
  const converted: LambdaKafkaRecord = {
    topic: record.topic,
    partition: record.partition,
    offset: toSafeNumber(record.offset, 'offset'),
    timestamp: toSafeNumber(record.timestamp, 'timestamp'),
    timestampType: record.timestampType ?? 'CREATE_TIME',
    value: record.value === null ? null : record.value.toString('base64'),
    headers: toLambdaHeaders(record.headers),
  };
  if (record.key !== null) converted.key = record.key.toString('base64');
  else if (nullKey === 'null') converted.key = null;
  return converted;
};

/**
 * Groups records under `"<topic>-<partition>"` keys in order of first
 * appearance, each group sorted by offset: Lambda reads a partition in order,
 * and handlers rely on it. Input from one consumer is already ordered, so the
 * insertion sort is linear in practice.
 */
const groupByPartition = (records: readonly LambdaKafkaRecord[]): LambdaKafkaRecords => {
  const grouped: LambdaKafkaRecords = {};
  for (const record of records) {
    const group = (grouped[`${record.topic}-${record.partition}`] ??= []);
    let index = group.length;
    while (index > 0 && (group[index - 1]?.offset ?? 0) > record.offset) index -= 1;
    group.splice(index, 0, record);
  }
  return grouped;
};

interface EventOptions {
  /** Array (joined with ",") or an already comma-separated string. */
  bootstrapServers: string | readonly string[];
  nullKey?: NullKeyStyle;
}

/** Builds a self-managed Kafka event, or an MSK one when `eventSourceArn` is given. */
function toLambdaKafkaEvent(records: readonly ConsumedRecord[], options: EventOptions & { eventSourceArn: string }): LambdaMskEvent;
function toLambdaKafkaEvent(records: readonly ConsumedRecord[], options: EventOptions): LambdaSelfManagedKafkaEvent;
function toLambdaKafkaEvent(records: readonly ConsumedRecord[], options: EventOptions & { eventSourceArn?: string }): LambdaKafkaEvent {
  const grouped = groupByPartition(records.map((r) => toLambdaRecord(r, options.nullKey)));
  const bootstrapServers = typeof options.bootstrapServers === 'string' ? options.bootstrapServers : options.bootstrapServers.join(',');
  return options.eventSourceArn === undefined
    ? { eventSource: 'SelfManagedKafka', bootstrapServers, records: grouped }
    : { eventSource: 'aws:kafka', eventSourceArn: options.eventSourceArn, bootstrapServers, records: grouped };
}

/**
 * A record's JSON without topic, key, value and headers, at its longest: the
 * widest numbers and null key and value (longer than empty strings). Derived
 * rather than counted, so a field added to the record is counted too.
 */
const FIXED_RECORD_BYTES = JSON.stringify({
  topic: '',
  partition: 2_147_483_647,
  offset: Number.MIN_SAFE_INTEGER,
  timestamp: Number.MIN_SAFE_INTEGER,
  timestampType: 'LOG_APPEND_TIME',
  key: null,
  value: null,
  headers: [],
} satisfies Omit<LambdaKafkaRecord, 'key'> & { key: null }).length;

/**
 * Roughly what the record weighs in the event's JSON: base64 key and value,
 * header bytes as decimal numbers, plus the fixed fields. Used to keep a batch
 * under Lambda's 6 MB invoke payload, as the event source mapping does.
 */
const estimateEventBytes = (record: ConsumedRecord): number => {
  let bytes = FIXED_RECORD_BYTES + record.topic.length;
  if (record.key !== null) bytes += Math.ceil(record.key.length / 3) * 4;
  if (record.value !== null) bytes += Math.ceil(record.value.length / 3) * 4;
  // A header name is a JSON string of any UTF-8: escapes and multi-byte characters count.
  for (const [name, value] of record.headers) {
    bytes += Buffer.byteLength(JSON.stringify(name)) + 6 + (value === null ? 0 : value.length * 4);
  }
  return bytes;
};

export type {
  ConsumedRecord,
  LambdaKafkaEvent,
  LambdaKafkaHeader,
  LambdaKafkaRecord,
  LambdaMskEvent,
  LambdaSelfManagedKafkaEvent,
  NullKeyStyle,
};
export { estimateEventBytes, toLambdaHeaders, toLambdaKafkaEvent, toLambdaRecord, UnsafeKafkaNumberError };
