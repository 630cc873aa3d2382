import type { Logger } from '@aws-lambda-powertools/logger';
import { coordinatesOf, type DecodedRecord, decodeRecord, type RecordCoordinates, RecordDecodeError } from '../kafka/decode.js';
import type { KafkaEvent } from '../kafka/event.js';
import { forEachPartition, partitionsOf } from '../kafka/partitions.js';
import type { Parker } from '../parking/parker.js';
import type { BatchState, Router } from '../routing/route.js';
import { isRetryable, RunNotEndedError } from '../runs/errors.js';
import { type BatchReport, countOutcomes, OutcomeStatus, type RecordOutcome } from './outcome.js';

interface BatchProcessorOptions {
  route: Router;
  parker: Parker;
  logger: Logger;
  partitionConcurrency: number;
  /** Starting a record with less time than this left makes it a retry. */
  startMinRemainingMs: number;
  now?: () => number;
}

// Powertools reserves `timestamp`, so log lines carry the coordinates without it.
const at = (c: RecordCoordinates) => ({ topic: c.topic, partition: c.partition, offset: c.offset });

const errorText = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/**
 * Processes one Lambda Kafka batch: partitions concurrently (bounded), the
 * records of a partition one by one in offset order. A record that cannot be
 * read is logged by its coordinates, parked and counted, and the batch goes
 * on; only transient failures are left for a retry, and once a record of a
 * partition needs one, the rest of that partition waits for it, so that order
 * holds on redelivery.
 */
const createBatchProcessor = (options: BatchProcessorOptions) => {
  const { logger, parker } = options;
  const now = options.now ?? Date.now;

  const park = async (raw: unknown, outcome: RecordOutcome): Promise<RecordOutcome> => {
    const r = (typeof raw === 'object' && raw !== null ? raw : {}) as { key?: unknown; value?: unknown };
    try {
      await parker.park({
        topic: outcome.topic,
        partition: outcome.partition,
        offset: outcome.offset,
        ...(outcome.timestamp !== undefined ? { timestamp: outcome.timestamp } : {}),
        reason: outcome.reason,
        detail: outcome.detail ?? '',
        ...(outcome.runId ? { runId: outcome.runId } : {}),
        key: typeof r.key === 'string' ? r.key : null,
        value: typeof r.value === 'string' ? r.value : null,
      });
      return outcome;
    } catch (error) {
      // Not parked means it would be lost once Kafka commits the offset.
      logger.error('Could not park a record; it is left for a retry', {
        topic: outcome.topic,
        partition: outcome.partition,
        offset: outcome.offset,
        error: errorText(error),
      });
      return { ...outcome, status: OutcomeStatus.Retry, reason: 'park-failed', detail: errorText(error) };
    }
  };

  const processRecord = async (raw: unknown, batch: BatchState): Promise<RecordOutcome> => {
    if (batch.deadline.remainingMs() < options.startMinRemainingMs) {
      return { ...coordinatesOf(raw), status: OutcomeStatus.Retry, reason: 'deadline' };
    }
    let record: DecodedRecord;
    try {
      record = decodeRecord(raw);
    } catch (error) {
      const coordinates = coordinatesOf(raw);
      const reason = error instanceof RecordDecodeError ? error.reason : 'decode-error';
      logger.warn('Record could not be decoded; parked', { ...at(coordinates), reason });
      return park(raw, { ...coordinates, status: OutcomeStatus.Invalid, reason, detail: errorText(error) });
    }
    const coordinates: RecordCoordinates = { topic: record.topic, partition: record.partition, offset: record.offset };
    if (record.timestamp !== undefined) coordinates.timestamp = record.timestamp;
    if (record.removedKeys > 0) {
      logger.warn('Removed prototype-polluting keys from a record', { ...at(coordinates), removedKeys: record.removedKeys });
    }
    try {
      // The router returns a fresh object: completing it in place saves a copy per record.
      const outcome = Object.assign(await options.route(record, batch), coordinates) as RecordOutcome;
      if (outcome.status === OutcomeStatus.Invalid) {
        logger.warn('Record does not fit any known message; parked', {
          ...at(coordinates),
          reason: outcome.reason,
          detail: outcome.detail,
        });
        return park(raw, outcome);
      }
      if (outcome.status === OutcomeStatus.Skipped) {
        // Port never writes tombstones, so one is worth seeing at the default
        // level; other consumers' messages are routine and stay at debug.
        const log = outcome.reason === 'tombstone' ? logger.info.bind(logger) : logger.debug.bind(logger);
        log('Record skipped', { ...at(coordinates), reason: outcome.reason, runId: outcome.runId });
      }
      return outcome;
    } catch (error) {
      if (isRetryable(error)) {
        logger.warn('Transient failure; record left for a retry', { ...at(coordinates), error: errorText(error) });
        return { ...coordinates, status: OutcomeStatus.Retry, reason: 'transient', detail: errorText(error) };
      }
      // A run Port refused to end is parked under its own reason: an operator fixes the credentials and redrives it.
      const reason = error instanceof RunNotEndedError ? RunNotEndedError.parkReason : 'handler-error';
      logger.error('Handler failed on a record; parked', { ...at(coordinates), reason, error: errorText(error) });
      return park(raw, {
        ...coordinates,
        status: OutcomeStatus.Failed,
        reason,
        detail: errorText(error),
        ...(error instanceof RunNotEndedError ? { runId: error.runId } : {}),
      });
    }
  };

  return async (event: KafkaEvent, batch: BatchState): Promise<BatchReport> => {
    const startedAt = now();
    const partitions = partitionsOf(event.records);
    const perPartition = await forEachPartition(partitions, options.partitionConcurrency, async (partition) => {
      const outcomes: RecordOutcome[] = [];
      for (const raw of partition.records) {
        const blocked = outcomes.at(-1)?.status === OutcomeStatus.Retry;
        outcomes.push(
          blocked
            ? {
                ...coordinatesOf(raw),
                status: OutcomeStatus.Retry,
                reason: 'after-retry',
                detail: 'an earlier record of this partition needs a retry',
              }
            : await processRecord(raw, batch)
        );
      }
      return outcomes;
    });
    const outcomes = perPartition.flat();
    return { outcomes, counts: countOutcomes(outcomes), durationMs: now() - startedAt };
  };
};

type BatchProcessor = ReturnType<typeof createBatchProcessor>;

export type { BatchProcessor, BatchProcessorOptions };
export { createBatchProcessor };
