import type { Logger } from '@aws-lambda-powertools/logger';
import type { ParkedRecord, Parker } from './parker.js';

/**
 * Used when no parking queue is configured: the record's coordinates and
 * reason go to the log (never its content), so it can be found in Kafka again
 * while the topic's retention lasts.
 */
class LogParker implements Parker {
  constructor(private readonly logger: Logger) {}
  async park(record: ParkedRecord): Promise<void> {
    this.logger.error('Unprocessable record (no parking queue configured)', {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      reason: record.reason,
      detail: record.detail,
      runId: record.runId,
    });
  }
}

export { LogParker };
