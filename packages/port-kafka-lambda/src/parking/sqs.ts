import type { MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import { PortKafkaError } from '../errors.js';
import type { ParkedRecord, Parker } from './parker.js';

/**
 * SQS rejects a message whose body plus attributes exceed the queue's
 * MaximumMessageSize. 256 KiB is the value the stack sets on the parking queue
 * (and the historical SQS maximum), so it is safe for any queue.
 */
const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;

/** The JSON body of a parked message. */
interface ParkedMessage extends ParkedRecord {
  /** When the handler parked the record (ISO 8601). */
  parkedAt: string;
  /** True when `key`/`value` were dropped to fit the SQS size limit. */
  truncated: boolean;
}

interface SqsParkerOptions {
  queueUrl: string;
  client: SQSClient;
  /** Override of the size limit (bytes, body + attributes). */
  maxMessageBytes?: number;
  /** Clock, injectable for tests. */
  now?: () => Date;
}

/** SendMessage failed; the cause is the SDK error. */
class ParkingError extends PortKafkaError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ParkingError';
  }
}

/**
 * Parks records on an SQS queue: one message per record, the record as JSON,
 * with `reason` and `topic` as message attributes so an operator can filter
 * or redrive without parsing bodies.
 */
class SqsParker implements Parker {
  readonly #queueUrl: string;
  readonly #client: SQSClient;
  readonly #maxBytes: number;
  readonly #now: () => Date;

  constructor(options: SqsParkerOptions) {
    this.#queueUrl = options.queueUrl;
    this.#client = options.client;
    this.#maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#now = options.now ?? (() => new Date());
  }

  async park(record: ParkedRecord): Promise<void> {
    const attributes = messageAttributes(record);
    const body = this.#fit(record, attributesSize(attributes));
    // Imported here, not at the top: a bundle that takes the AWS SDK from the runtime
    // moves static imports of it to its start, and parking is rare.
    const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
    try {
      await this.#client.send(
        new SendMessageCommand({
          QueueUrl: this.#queueUrl,
          MessageBody: body,
          MessageAttributes: attributes,
        })
      );
    } catch (error) {
      // Coordinates only: the caller decides whether the batch must fail.
      throw new ParkingError(`could not park ${record.topic}-${record.partition}@${record.offset} (${record.reason})`, { cause: error });
    }
  }

  /** The body as JSON; without key/value when the whole would be too large. */
  #fit(record: ParkedRecord, attributeBytes: number): string {
    const parkedAt = this.#now().toISOString();
    const full = JSON.stringify({
      ...record,
      parkedAt,
      truncated: false,
    } satisfies ParkedMessage);
    if (Buffer.byteLength(full, 'utf8') + attributeBytes <= this.#maxBytes) {
      return full;
    }
    // The coordinates are what matter: with them the record can be re-read
    // from Kafka while it is retained. `detail` is capped for the same reason.
    const { key: _key, value: _value, ...rest } = record;
    return JSON.stringify({
      ...rest,
      detail: rest.detail.slice(0, 4096),
      parkedAt,
      truncated: true,
    } satisfies ParkedMessage);
  }
}

function messageAttributes(record: ParkedRecord): Record<string, MessageAttributeValue> {
  return {
    reason: { DataType: 'String', StringValue: record.reason },
    topic: { DataType: 'String', StringValue: record.topic },
  };
}

/** SQS counts attribute names, types and values towards the message size. */
function attributesSize(attributes: Record<string, MessageAttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8');
    size += Buffer.byteLength(value.DataType ?? '', 'utf8');
    size += Buffer.byteLength(value.StringValue ?? '', 'utf8');
  }
  return size;
}

export type { ParkedMessage, SqsParkerOptions };
export { DEFAULT_MAX_MESSAGE_BYTES, ParkingError, SqsParker };
