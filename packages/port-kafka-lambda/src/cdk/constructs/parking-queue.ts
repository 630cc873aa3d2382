import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Matches the size the handler's SqsParker stays under. */
const PARKING_MAX_MESSAGE_BYTES = 256 * 1024;

interface ParkingQueueProps {
  /** What lands here, for the acknowledgement and the description. */
  readonly purpose: string;
}

/**
 * A queue that keeps messages for an operator: encrypted at rest with the
 * SQS managed key, TLS-only, kept for the SQS maximum of 14 days.
 */
class ParkingQueue extends Construct {
  readonly queue: Queue;

  constructor(scope: Construct, id: string, props: ParkingQueueProps) {
    super(scope, id);
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      maxMessageSizeBytes: PARKING_MAX_MESSAGE_BYTES,
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself the dead-letter destination (${props.purpose}); nothing consumes it automatically, so it cannot produce failures a further DLQ would catch.`,
    });
  }
}

export { PARKING_MAX_MESSAGE_BYTES, ParkingQueue };
