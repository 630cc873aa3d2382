import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Base,
  Consumer,
  type ConsumerOptions,
  type Message,
  type MessagesStream,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
} from '@platformatic/kafka';
import type { Context } from 'aws-lambda';
import type { Logger } from '../logging/logger.js';
import { batches } from './batches.js';
import type { ConsumerConfig } from './config.js';
import { type BatchContext, batchContext } from './context.js';
import { explainKafkaError } from './errors.js';
import { type ConsumedRecord, estimateEventBytes, toLambdaKafkaEvent } from './lambda-event.js';

type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/** What the consumer calls for each batch: the Lambda handler itself. */
type BatchHandler = (event: unknown, context: Context) => Promise<unknown>;

interface ConsumerDependencies {
  config: ConsumerConfig;
  handler: BatchHandler;
  logger: Logger;
  /** Delay before re-running records the handler left for a retry; default exponential to 30 s. */
  retryDelayMs?: (attempt: number) => number;
  /** Extra client options (tests shorten timeouts). */
  clientOptions?: Partial<ConsumerOptions<Buffer, Buffer, Buffer, Buffer>>;
  now?: () => number;
}

interface RunningConsumer {
  /** Resolves when the consumer stopped after stop(); rejects with a KafkaConsumeError if reading failed. */
  readonly done: Promise<void>;
  /**
   * Stops reading, lets the batch in hand finish (runs already started end
   * normally, the rest stay uncommitted), commits what was handled, leaves
   * the group and closes the connections.
   */
  stop(): Promise<void>;
}

const defaultRetryDelay = (attempt: number): number => Math.min(30_000, 1000 * 2 ** Math.min(attempt - 1, 5));

/**
 * The platformatic client hands a missing key or a tombstone over as
 * `undefined`, and an empty one as an empty Buffer, so the two stay distinct.
 */
const toConsumedRecord = (message: KafkaMessage): ConsumedRecord => ({
  topic: message.topic,
  partition: message.partition,
  offset: message.offset,
  timestamp: message.timestamp,
  key: message.key ?? null,
  value: message.value ?? null,
  headers: message.headerEntries.map(([name, value]) => [name.toString('utf8'), value ?? null] as const),
});

/**
 * One metadata request for the topics before joining the group. The group join
 * retries every failure in nested loops (about 20 s for a wrong password), while
 * this answers at once for what no retry fixes: credentials, TLS trust, topic
 * ACLs, an unreachable address.
 */
const preflight = async (options: ConstructorParameters<typeof Base>[0], topics: string[]): Promise<void> => {
  const probe = new Base({ ...options, retries: 1, retryDelay: 250 });
  try {
    await probe.metadata({ topics });
  } finally {
    await probe.close().catch(() => undefined);
  }
};

/** A fetched message with its record, converted once: sized for the batch, then put in the event. */
interface Fetched {
  message: KafkaMessage;
  record: ConsumedRecord;
}

async function* converted(stream: AsyncIterable<KafkaMessage>): AsyncGenerator<Fetched> {
  for await (const message of stream) yield { message, record: toConsumedRecord(message) };
}

/** Lambda's `"<topic>-<partition>"`, the key of partial batch responses too. */
const partitionKey = (r: { topic: string; partition: number }): string => `${r.topic}-${r.partition}`;

/** The lowest offset per `"<topic>-<partition>"` among `entries`. */
const lowestPerPartition = (entries: Iterable<readonly [string, number]>): Map<string, number> => {
  const lowest = new Map<string, number>();
  for (const [key, offset] of entries) lowest.set(key, Math.min(lowest.get(key) ?? Infinity, offset));
  return lowest;
};

/** The offsets the handler asked to retry, as `[partition key, offset]`. */
function* retriesIn(response: unknown): Generator<[string, number]> {
  const items = (response as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
  if (!Array.isArray(items)) return;
  for (const item of items) {
    const id = (item as { itemIdentifier?: { partition?: unknown; offset?: unknown } }).itemIdentifier;
    if (typeof id?.partition === 'string' && typeof id.offset === 'number') yield [id.partition, id.offset];
  }
}

/**
 * Joins the consumer group and feeds the handler batches built like a Lambda
 * Kafka event source mapping's. Offsets are committed only for records the
 * handler finished; records it leaves for a retry (Port unreachable, deadline)
 * are handed to it again, in order, before anything later of their partition.
 *
 * Resolves once the group is joined; errors a user can act on (credentials,
 * group or topic not allowed, brokers unreachable) reject with one line.
 */
const startConsumer = async (deps: ConsumerDependencies): Promise<RunningConsumer> => {
  const { config, logger } = deps;
  const retryDelay = deps.retryDelayMs ?? defaultRetryDelay;
  const explainContext = {
    brokers: config.brokers,
    username: config.username,
    groupId: config.groupId,
    topics: config.topics,
    orgId: config.orgId,
  };
  const clientOptions = {
    clientId: config.name,
    bootstrapBrokers: config.brokers,
    // Without a CA file Node's bundled roots apply: Port's brokers use a public CA.
    tls: config.caFile === undefined ? {} : { ca: readFileSync(config.caFile, 'utf8') },
    sasl: { mechanism: 'SCRAM-SHA-512' as const, username: config.username, password: config.password },
  };
  const client = new Consumer({
    ...clientOptions,
    groupId: config.groupId,
    autocommit: false,
    // Fetch no further ahead than about one batch: what is buffered but not handled is read again after a crash anyway.
    highWaterMark: Math.max(config.batchSize, 16),
    maxWaitTime: 1000,
    ...deps.clientOptions,
  });

  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>;
  try {
    await preflight(clientOptions, config.topics);
    stream = await client.consume({
      topics: config.topics,
      mode: MessagesStreamModes.COMMITTED,
      // A group with no committed offset starts where the event source mapping would.
      fallbackMode: config.startingPosition === 'TRIM_HORIZON' ? MessagesStreamFallbackModes.EARLIEST : MessagesStreamFallbackModes.LATEST,
    });
  } catch (error) {
    await client.close(true).catch(() => undefined);
    throw explainKafkaError(error, explainContext);
  }
  logger.info('Consuming', {
    brokers: config.brokers,
    topics: config.topics,
    groupId: config.groupId,
    username: config.username,
    batchSize: config.batchSize,
    batchWindowMs: config.batchWindowMs,
  });

  const stopping = new AbortController();
  let current: BatchContext | undefined;

  /** Commits each partition's last handled record; a failed commit means a redelivery, never a loss. */
  const commit = async (handled: readonly Fetched[]): Promise<void> => {
    const last = new Map<string, KafkaMessage>();
    for (const { message } of handled) last.set(partitionKey(message), message);
    await Promise.all(
      [...last.values()].map(async (message) => {
        try {
          await message.commit();
          logger.debug('Committed', { topic: message.topic, partition: message.partition, offset: String(message.offset + 1n) });
        } catch (error) {
          // A rebalance moved the partition away: its new owner re-reads from the last commit,
          // and runs that already ended are not executed again (the status check in Port).
          logger.warn('Could not commit; the records will be delivered again', {
            topic: message.topic,
            partition: message.partition,
            offset: String(message.offset),
            error: error instanceof Error ? error.message : String(error),
          });
        }
      })
    );
  };

  const handleBatch = async (batch: readonly Fetched[]): Promise<void> => {
    let remaining = batch;
    for (let attempt = 1; ; attempt += 1) {
      const event = toLambdaKafkaEvent(
        remaining.map((f) => f.record),
        { bootstrapServers: config.brokers }
      );
      current = batchContext(config.name, config.batchTimeoutMs, deps.now);
      if (stopping.signal.aborted) current.drain();
      let failed: Map<string, number>;
      try {
        failed = lowestPerPartition(retriesIn(await deps.handler(event, current)));
      } catch (error) {
        // Only an invalid event or a bug gets here (the handler reports retries per record):
        // retry the whole batch, as Lambda would.
        logger.error('The handler failed; the batch will be retried', {
          error: error instanceof Error ? error.message : String(error),
        });
        failed = lowestPerPartition(remaining.map(({ record }) => [partitionKey(record), Number(record.offset)] as const));
      } finally {
        current = undefined;
      }
      const isDone = ({ record }: Fetched) => Number(record.offset) < (failed.get(partitionKey(record)) ?? Infinity);
      await commit(remaining.filter(isDone));
      remaining = remaining.filter((f) => !isDone(f));
      if (remaining.length === 0 || stopping.signal.aborted) return;
      const delayMs = retryDelay(attempt);
      logger.warn('Records left for a retry', { records: remaining.length, attempt, delayMs });
      await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => undefined);
      if (stopping.signal.aborted) return;
    }
  };

  const loop = async (): Promise<void> => {
    const limits = {
      maxRecords: config.batchSize,
      windowMs: config.batchWindowMs,
      maxBytes: config.maxBatchBytes,
      sizeOf: (f: Fetched) => estimateEventBytes(f.record),
    };
    try {
      for await (const batch of batches(converted(stream), limits, stopping.signal)) await handleBatch(batch);
    } catch (error) {
      throw explainKafkaError(error, explainContext);
    } finally {
      stopping.abort();
      await stream.close().catch(() => undefined);
      await client.close(true).catch(() => undefined);
    }
  };
  const done = loop();
  // Observed through `done`; avoid an unhandled rejection before anyone awaits it.
  done.catch(() => undefined);

  return {
    done,
    async stop() {
      stopping.abort();
      current?.drain();
      await done.catch(() => undefined);
      logger.info('Stopped');
    },
  };
};

export type { BatchHandler, ConsumerDependencies, RunningConsumer };
export { startConsumer, toConsumedRecord };
