import { type ActionDefinition, declaredTimeoutMs } from '../actions/define.js';
import { HOUR, MINUTE } from './duration.js';

/** The run executor's execution timeout when the stack sets none (`durableExecutionTimeout`). */
const DEFAULT_EXECUTION_TIMEOUT_MS = 24 * HOUR;

/**
 * Kept free at the end of an execution for the final report: a run reported
 * timed out must still have time to say so before Lambda stops the execution
 * (a Port outage makes that report retry for a while).
 */
const reportMarginMs = (executionTimeoutMs: number): number => Math.min(15 * MINUTE, Math.floor(executionTimeoutMs / 10));

/**
 * A durable run's time limit: the action's `durable.timeout`, capped by the
 * executor's execution timeout less the report margin. It counts from when the
 * record was accepted.
 */
const timeLimitMs = (action: Pick<ActionDefinition, 'durable'> | undefined, executionTimeoutMs: number): number => {
  const cap = executionTimeoutMs - reportMarginMs(executionTimeoutMs);
  const declared = action === undefined ? undefined : declaredTimeoutMs(action);
  return Math.min(declared ?? cap, cap);
};

export { DEFAULT_EXECUTION_TIMEOUT_MS, reportMarginMs, timeLimitMs };
