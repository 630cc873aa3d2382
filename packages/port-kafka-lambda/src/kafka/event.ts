import * as z from 'zod';

/**
 * The event Lambda sends for Kafka. Two shapes share one record layout:
 * self-managed Kafka (`eventSource: "SelfManagedKafka"`, no ARN) and Amazon MSK
 * (`eventSource: "aws:kafka"`, with `eventSourceArn`). Older AWS docs showed
 * `"aws:SelfManagedKafka"` and string partitions; we accept both spellings
 * rather than fail a whole batch on a cosmetic difference.
 */
const KafkaRecord = z.looseObject({
  topic: z.string().min(1),
  partition: z.coerce.number().int().nonnegative(),
  offset: z.coerce.number().int().nonnegative(),
  timestamp: z.coerce.number().optional(),
  timestampType: z.string().optional(),
  // Lambda omits the key, or sends null, when the producer set none.
  key: z.string().nullish(),
  // A tombstone (compaction delete marker) arrives as value: null.
  value: z.string().nullish(),
  // One object per header in the common case, but nothing forbids several
  // names in one object, so every key of every object is a header. Values are
  // arrays of byte values, not base64.
  headers: z.array(z.record(z.string(), z.array(z.number()))).nullish(),
});
type KafkaRecord = z.infer<typeof KafkaRecord>;

const KAFKA_EVENT_SOURCES = ['SelfManagedKafka', 'aws:SelfManagedKafka', 'aws:kafka'] as const;

const KafkaEvent = z.looseObject({
  eventSource: z.enum(KAFKA_EVENT_SOURCES),
  eventSourceArn: z.string().optional(),
  bootstrapServers: z.string().optional(),
  // Keyed by "<topic>-<partition>". Topic names may themselves contain "-", so
  // the key is never parsed: each record carries its own topic and partition.
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
export { KAFKA_EVENT_SOURCES, KafkaEvent, KafkaRecord };
