// Adapts records consumed with kafkajs to the consumer's event builder
// (consumer/lambda-event.ts), so the tests that read with kafkajs and the
// long-lived consumer produce Lambda events through one implementation.
import {
  toLambdaKafkaEvent as buildEvent,
  type ConsumedRecord,
  type LambdaKafkaEvent,
  type LambdaKafkaHeader,
  type LambdaKafkaRecord,
  type LambdaMskEvent,
  type LambdaSelfManagedKafkaEvent,
  type NullKeyStyle,
  toLambdaHeaders as toLambdaHeaderList,
} from '../../src/consumer/lambda-event.js';

export type { LambdaKafkaEvent, LambdaKafkaHeader, LambdaKafkaRecord, LambdaMskEvent, LambdaSelfManagedKafkaEvent };

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
  bootstrapServers: string | readonly string[];
  nullKey?: NullKeyStyle;
}
export interface SelfManagedKafkaEventOptions extends CommonEventOptions {
  eventSource?: 'SelfManagedKafka';
}
export interface MskEventOptions extends CommonEventOptions {
  eventSource: 'aws:kafka';
  eventSourceArn: string;
}

/** kafkajs's header object → wire-order pairs (names in object order, repeats in arrival order). */
const headerPairs = (headers: ConsumedKafkaMessage['headers']): Array<[string, Buffer | null]> =>
  Object.entries(headers ?? {}).flatMap(([name, raw]) =>
    (Array.isArray(raw) ? raw : [raw])
      .filter((value): value is Buffer | string | null => value !== undefined)
      .map((value): [string, Buffer | null] => [name, typeof value === 'string' ? Buffer.from(value, 'utf8') : value])
  );

const toConsumedRecord = (record: ConsumedKafkaRecord): ConsumedRecord => ({
  topic: record.topic,
  partition: record.partition,
  offset: BigInt(record.message.offset),
  timestamp: BigInt(record.message.timestamp),
  ...(record.timestampType ? { timestampType: record.timestampType } : {}),
  key: record.message.key,
  value: record.message.value,
  headers: headerPairs(record.message.headers),
});

/** Lambda's header list for a kafkajs header object. */
export function toLambdaHeaders(headers: ConsumedKafkaMessage['headers']): LambdaKafkaHeader[] {
  return toLambdaHeaderList(headerPairs(headers));
}

/** The event a Lambda Kafka event source mapping would deliver for records read with kafkajs. */
export function toLambdaKafkaEvent(records: readonly ConsumedKafkaRecord[], options: MskEventOptions): LambdaMskEvent;
export function toLambdaKafkaEvent(
  records: readonly ConsumedKafkaRecord[],
  options: SelfManagedKafkaEventOptions
): LambdaSelfManagedKafkaEvent;
export function toLambdaKafkaEvent(
  records: readonly ConsumedKafkaRecord[],
  options: SelfManagedKafkaEventOptions | MskEventOptions
): LambdaKafkaEvent {
  const consumed = records.map(toConsumedRecord);
  const common = { bootstrapServers: options.bootstrapServers, ...(options.nullKey ? { nullKey: options.nullKey } : {}) };
  return options.eventSource === 'aws:kafka'
    ? buildEvent(consumed, { ...common, eventSourceArn: options.eventSourceArn })
    : buildEvent(consumed, common);
}
