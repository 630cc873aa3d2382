import type { KafkaMessage } from 'kafkajs';
import type { ScramUser } from './broker.js';
import { type BrokerEndpoint, createKafka } from './clients.js';
import type { ConsumedKafkaRecord } from './lambda-event.js';

export interface ConsumeTopicOptions {
  topic: string;
  /** With the authorizer on, a group Port's ACLs allow the user: `<ORG_ID>.…` or its username. */
  groupId: string;
  user: ScramUser;
  /** Stop once this many records arrived. */
  count: number;
  /** Stop anyway after this long; default 20 s. */
  timeoutMs?: number;
}

/**
 * Consumes `topic` from the beginning with a consumer group until `count` records arrived or
 * the timeout passed, and returns what arrived (the caller asserts the count) in arrival
 * order, which is offset order within each partition. Offsets are committed on the way, as
 * Lambda would. A consumer crash (e.g. an authorization error) rejects.
 */
export async function consumeTopic(broker: BrokerEndpoint, options: ConsumeTopicOptions): Promise<ConsumedKafkaRecord[]> {
  const consumer = createKafka(broker, options.user).consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    // Short fetch waits: disconnect() waits for the in-flight fetch to return.
    maxWaitTimeInMs: 200,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
  const records: ConsumedKafkaRecord[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
    await new Promise<void>((resolveDone, reject) => {
      const timer = setTimeout(resolveDone, options.timeoutMs ?? 20_000);
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        if (error === undefined) resolveDone();
        else reject(error);
      };
      consumer.on(consumer.events.CRASH, (event) => finish(event.payload.error));
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            if (records.length >= options.count) return;
            records.push({ topic, partition, message, timestampType: timestampTypeOf(message) });
            if (records.length >= options.count) finish();
          },
        })
        .catch((error: unknown) => finish(error instanceof Error ? error : new Error(String(error))));
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/**
 * kafkajs does not expose the batch's timestamp type in its types, but each decoded record
 * carries its batch context at run time (0 = CREATE_TIME, 1 = LOG_APPEND_TIME).
 */
function timestampTypeOf(message: KafkaMessage): 'CREATE_TIME' | 'LOG_APPEND_TIME' {
  const context: unknown = (message as { batchContext?: unknown }).batchContext;
  if (typeof context === 'object' && context !== null && 'timestampType' in context && context.timestampType === 1) {
    return 'LOG_APPEND_TIME';
  }
  return 'CREATE_TIME';
}
