import * as z from 'zod';
import { decodeRecord } from '../kafka/decode.js';
import { normalizeRun } from '../messages/normalize.js';
import type { ParkedMessage } from '../parking/sqs.js';
import { describeIssues } from '../validation.js';

/**
 * What redrive finds on its queues, read into one of three kinds:
 * - a record the handler parked (parking/sqs.ts): the record itself, when it fit;
 * - the metadata provisioned mode's on-failure destination sends to SQS for a
 *   batch Lambda gave up on: topic-partitions and offset ranges, no records and
 *   so no run ids (docs: kafka-on-failure, "SQS and SNS get metadata only");
 * - anything else, kept and named as unreadable.
 */

/** The body the SqsParker writes. */
const ParkedMessageSchema = z.object({
  topic: z.string(),
  partition: z.number().int(),
  offset: z.number().int(),
  timestamp: z.number().optional(),
  reason: z.string(),
  detail: z.string(),
  runId: z.string().optional(),
  key: z.string().nullish(),
  value: z.string().nullish(),
  parkedAt: z.string(),
  truncated: z.boolean(),
}) satisfies z.ZodType<ParkedMessage>;

/** Lambda's on-failure invocation record for a Kafka batch (SQS/SNS destinations: metadata only). */
const BatchFailureSchema = z.object({
  requestContext: z.looseObject({ condition: z.string().optional(), approximateInvokeCount: z.number().optional() }).optional(),
  timestamp: z.string().optional(),
  KafkaBatchInfo: z.looseObject({
    batchSize: z.number().optional(),
    recordsInfo: z.record(
      z.string(),
      z.looseObject({
        firstRecordOffset: z.union([z.string(), z.number()]),
        lastRecordOffset: z.union([z.string(), z.number()]),
      })
    ),
  }),
});

interface OffsetRange {
  topic: string;
  partition: number | undefined;
  first: string;
  last: string;
}

type QueueItem =
  | {
      kind: 'parked';
      parked: z.output<typeof ParkedMessageSchema>;
      /** From the record itself, when it could be read (a truncated message has no record). */
      runId: string | undefined;
      action: string | undefined;
    }
  | { kind: 'batch-metadata'; condition: string | undefined; ranges: OffsetRange[] }
  | { kind: 'unreadable'; detail: string };

/** Splits Lambda's `"<topic>-<partition>"` key; topics may contain dashes, the partition is after the last. */
const splitTopicPartition = (key: string): { topic: string; partition: number | undefined } => {
  const at = key.lastIndexOf('-');
  const partition = at < 0 ? Number.NaN : Number(key.slice(at + 1));
  return Number.isInteger(partition) ? { topic: key.slice(0, at), partition } : { topic: key, partition: undefined };
};

/** The run a parked record carries, if its value is a run message this package reads. */
const runOf = (parked: z.output<typeof ParkedMessageSchema>): { runId: string | undefined; action: string | undefined } => {
  if (typeof parked.value !== 'string') return { runId: parked.runId, action: undefined };
  try {
    const record = decodeRecord({
      topic: parked.topic,
      partition: parked.partition,
      offset: parked.offset,
      timestamp: parked.timestamp ?? 0,
      timestampType: 'CREATE_TIME',
      value: parked.value,
      headers: [],
      ...(parked.key === undefined ? {} : { key: parked.key }),
    });
    const run = normalizeRun(record.value);
    return run.ok ? { runId: run.value.runId, action: run.value.action } : { runId: parked.runId, action: undefined };
  } catch {
    return { runId: parked.runId, action: undefined };
  }
};

const readQueueItem = (body: string | undefined): QueueItem => {
  let json: unknown;
  try {
    json = JSON.parse(body ?? '');
  } catch {
    return { kind: 'unreadable', detail: 'the body is not JSON' };
  }
  const parked = ParkedMessageSchema.safeParse(json);
  if (parked.success) return { kind: 'parked', parked: parked.data, ...runOf(parked.data) };
  const batch = BatchFailureSchema.safeParse(json);
  if (batch.success) {
    return {
      kind: 'batch-metadata',
      condition: batch.data.requestContext?.condition,
      ranges: Object.entries(batch.data.KafkaBatchInfo.recordsInfo).map(([key, info]) => ({
        ...splitTopicPartition(key),
        first: String(info.firstRecordOffset),
        last: String(info.lastRecordOffset),
      })),
    };
  }
  return { kind: 'unreadable', detail: `neither a parked record nor Lambda's batch failure record: ${describeIssues(parked.error)}` };
};

export type { OffsetRange, QueueItem };
export { readQueueItem, splitTopicPartition };
