import * as z from 'zod';

/**
 * The event Lambda sends for Kafka, as zod schemas: the one definition of its
 * shape. The consumer and the CLI build events of the exact types below (no
 * parsing on their hot path: the types are all they take from here); the
 * handler reads events with the lenient schemas, which accept every spelling
 * AWS has documented.
 *
 * Two event shapes share one record layout: self-managed Kafka
 * (`eventSource: "SelfManagedKafka"`, no ARN) and Amazon MSK
 * (`eventSource: "aws:kafka"`, with `eventSourceArn`).
 */

/**
 * One header: name → the value's bytes as numbers (not base64). Lambda sends
 * one object per header occurrence, but nothing forbids several names in one
 * object, so readers treat every key of every object as a header.
 */
const LambdaKafkaHeader = z.record(z.string(), z.array(z.number()));
type LambdaKafkaHeader = z.output<typeof LambdaKafkaHeader>;

/** A record exactly as Lambda delivers it (key and value base64). */
const LambdaKafkaRecord = z.strictObject({
  topic: z.string().min(1),
  partition: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  /** Epoch milliseconds; Kafka writes -1 for "no timestamp" (pre-0.10 producers). */
  timestamp: z.number(),
  timestampType: z.enum(['CREATE_TIME', 'LOG_APPEND_TIME']),
  /** Absent when the producer sent no key; some AWS fixtures show `null` instead. */
  key: z.string().nullish(),
  /** null for a tombstone (compaction delete marker). */
  value: z.string().nullable(),
  headers: z.array(LambdaKafkaHeader),
});
type LambdaKafkaRecord = z.output<typeof LambdaKafkaRecord>;

/**
 * Records keyed by `"<topic>-<partition>"`. Topic names may themselves contain
 * "-", so the key is never parsed: each record carries its own topic and partition.
 */
const LambdaKafkaRecords = z.record(z.string(), z.array(LambdaKafkaRecord));
type LambdaKafkaRecords = z.output<typeof LambdaKafkaRecords>;

const LambdaSelfManagedKafkaEvent = z.strictObject({
  eventSource: z.literal('SelfManagedKafka'),
  bootstrapServers: z.string(),
  records: LambdaKafkaRecords,
});
type LambdaSelfManagedKafkaEvent = z.output<typeof LambdaSelfManagedKafkaEvent>;

const LambdaMskEvent = z.strictObject({
  eventSource: z.literal('aws:kafka'),
  eventSourceArn: z.string(),
  bootstrapServers: z.string(),
  records: LambdaKafkaRecords,
});
type LambdaMskEvent = z.output<typeof LambdaMskEvent>;

/** A Kafka event exactly as Lambda delivers it. */
const LambdaKafkaEvent = z.discriminatedUnion('eventSource', [LambdaSelfManagedKafkaEvent, LambdaMskEvent]);
type LambdaKafkaEvent = z.output<typeof LambdaKafkaEvent>;

/**
 * What the handler accepts as a record: Lambda's record, leniently. Older AWS
 * docs showed string partitions and offsets and fixtures omit fields; failing a
 * record (let alone a batch) on a cosmetic difference would stall a partition.
 * Unknown fields are kept.
 */
const KafkaRecord = z.looseObject({
  ...LambdaKafkaRecord.shape,
  partition: z.coerce.number().int().nonnegative(),
  offset: z.coerce.number().int().nonnegative(),
  timestamp: z.coerce.number().optional(),
  timestampType: z.string().optional(),
  value: z.string().nullish(),
  headers: z.array(LambdaKafkaHeader).nullish(),
});
type KafkaRecord = z.infer<typeof KafkaRecord>;

/** Every `eventSource` spelling AWS has documented ("aws:SelfManagedKafka" in older docs). */
const KAFKA_EVENT_SOURCES = ['SelfManagedKafka', 'aws:SelfManagedKafka', 'aws:kafka'] as const;

/**
 * What the handler accepts as an event. Records stay unknown here: each is
 * checked on its own (see kafka/decode.ts), so one malformed record is reported
 * as such instead of failing the batch.
 */
const KafkaEvent = z.looseObject({
  eventSource: z.enum(KAFKA_EVENT_SOURCES),
  eventSourceArn: z.string().optional(),
  bootstrapServers: z.string().optional(),
  records: z.record(z.string(), z.array(z.unknown())),
});
type KafkaEvent = z.infer<typeof KafkaEvent>;

/** The Kafka flavour of a Lambda partial batch response. */
interface KafkaBatchItemFailure {
  itemIdentifier: { partition: string; offset: number };
}
interface KafkaBatchResponse {
  batchItemFailures: KafkaBatchItemFailure[];
}

export type { KafkaBatchItemFailure, KafkaBatchResponse };
export {
  KAFKA_EVENT_SOURCES,
  KafkaEvent,
  KafkaRecord,
  LambdaKafkaEvent,
  LambdaKafkaHeader,
  LambdaKafkaRecord,
  LambdaKafkaRecords,
  LambdaMskEvent,
  LambdaSelfManagedKafkaEvent,
};
