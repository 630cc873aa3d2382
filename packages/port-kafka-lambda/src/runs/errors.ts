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

/** True for errors a later attempt may get past (Port unreachable, deadline). */
const isRetryable = (error: unknown): boolean =>
  error instanceof Error && (error as { retryable?: unknown }).retryable === true;

export { DeadlineError, isRetryable, RunClosedError, RunTimeoutError, SecretInputError };
