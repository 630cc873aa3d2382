import type { RecordCoordinates } from '../kafka/decode.js';

/**
 * What became of one record:
 * - `succeeded` / `failed`: a run was reported SUCCESS / FAILURE to Port, or
 *   change handlers all ran / one threw (then the record is parked);
 * - `skipped`: nothing to do (tombstone, another consumer's message, no
 *   handler, a run that already ended, a duplicate);
 * - `invalid`: the record could not be read (not base64, UTF-8, JSON, or no
 *   schema fits); logged by coordinates and parked, the batch goes on;
 * - `retry`: a transient failure (Port unreachable, deadline); the event
 *   source mapping must deliver the record again.
 */
const OutcomeStatus = {
  Succeeded: 'succeeded',
  Failed: 'failed',
  Skipped: 'skipped',
  Invalid: 'invalid',
  Retry: 'retry',
} as const;
type OutcomeStatus = (typeof OutcomeStatus)[keyof typeof OutcomeStatus];

interface RecordOutcome extends RecordCoordinates {
  status: OutcomeStatus;
  /** A stable, short reason such as `not-json`, `agent-run`, `succeeded`, `handler-error`. */
  reason: string;
  runId?: string;
  action?: string;
  /** Safe-to-log detail (schema paths, error messages), never record content. */
  detail?: string;
}

interface BatchReport {
  outcomes: RecordOutcome[];
  counts: Record<OutcomeStatus, number>;
  durationMs: number;
}

const countOutcomes = (outcomes: readonly RecordOutcome[]): Record<OutcomeStatus, number> => {
  const counts = { succeeded: 0, failed: 0, skipped: 0, invalid: 0, retry: 0 };
  for (const o of outcomes) counts[o.status]++;
  return counts;
};

export type { BatchReport, RecordOutcome };
export { countOutcomes, OutcomeStatus };
