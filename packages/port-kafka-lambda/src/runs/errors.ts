import { PortKafkaError } from '../errors.js';

/** Not enough time is left in this invocation to start a run; the batch must be retried. */
class DeadlineError extends PortKafkaError {
  readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'DeadlineError';
  }
}

/** A run was still executing when the Lambda deadline came near. */
class RunTimeoutError extends PortKafkaError {
  constructor(message: string) {
    super(message);
    this.name = 'RunTimeoutError';
  }
}

/** A handler used its run context after the run had been reported (e.g. after a timeout). */
class RunClosedError extends PortKafkaError {
  constructor(runId: string) {
    super(`Run ${runId} has already been reported; its context can no longer change it`);
    this.name = 'RunClosedError';
  }
}

/** A secret input was asked for that the run does not carry encrypted. */
class SecretInputError extends PortKafkaError {
  constructor(message: string) {
    super(message);
    this.name = 'SecretInputError';
  }
}

/**
 * Another attempt (another container, or an earlier invocation still running)
 * holds the run's claim and its deadline has not passed: the record waits for a
 * retry instead of executing the run a second time.
 */
class RunClaimedError extends PortKafkaError {
  readonly retryable = true;
  constructor(runId: string, owner: string, expiresAt: number) {
    super(`Run ${runId} is being executed by ${owner} (claim until ${new Date(expiresAt).toISOString()}); left for a retry`);
    this.name = 'RunClaimedError';
  }
}

/**
 * Port refused even the PATCH that ends the run with FAILURE (wrong
 * credentials, a host that does not resolve, a run Port will not let this
 * client change), so the run could not be ended. The record is parked under
 * {@link RunNotEndedError.parkReason} for an operator; the ledger keeps the report.
 */
class RunNotEndedError extends PortKafkaError {
  static readonly parkReason = 'run-not-ended';
  /** The log line written when this happens: the stack's metric filter counts it (RunsNotEnded). */
  static readonly logMessage = 'Run could not be ended in Port; its record is parked';
  readonly retryable = false;
  readonly runId: string;
  constructor(runId: string, cause: unknown) {
    const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`Port refused to end run ${runId}, so it stays IN_PROGRESS in Port: ${why}`, { cause });
    this.name = 'RunNotEndedError';
    this.runId = runId;
  }
}

/** True for errors a later attempt may get past (Port unreachable, deadline). */
const isRetryable = (error: unknown): boolean => error instanceof Error && (error as { retryable?: unknown }).retryable === true;

export { DeadlineError, isRetryable, RunClaimedError, RunClosedError, RunNotEndedError, RunTimeoutError, SecretInputError };
