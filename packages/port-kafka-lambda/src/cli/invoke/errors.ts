import { PortKafkaError } from '../../errors.js';

/**
 * A problem with what the user asked for (a missing file, a file of unknown
 * shape, an unknown action, a bad flag). The CLIs print its message as one
 * line and exit 2 before anything runs; it never carries a stack trace to the
 * user because the fix is in their input, not in the code.
 */
class InputError extends PortKafkaError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InputError';
  }
}

/** Several input problems, reported together so one run shows them all. */
class InputErrors extends PortKafkaError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'InputErrors';
    this.problems = problems;
  }
}

/** Exit codes shared by the tools; documented in docs/local-development.md. */
const ExitCode = {
  /** Every record was handled as expected. */
  Ok: 0,
  /** Something ran but not as expected (a record invalid, failed or left for retry, a run unknown to Port). */
  NotAsExpected: 1,
  /** Bad input or usage: nothing ran. */
  BadInput: 2,
} as const;
type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The lines to print for an input problem thrown by any tool step. */
const problemLines = (error: unknown): string[] | undefined => {
  if (error instanceof InputErrors) return [...error.problems];
  if (error instanceof InputError) return [error.message];
  return undefined;
};

export { ExitCode, InputError, InputErrors, problemLines };
