/** How long this invocation has left; Lambda's context knows, tests and local runs may not. */
interface Deadline {
  remainingMs(): number;
}

/** A deadline far enough away to never matter (local invoke without a Lambda context). */
const NO_DEADLINE: Deadline = { remainingMs: () => Number.MAX_SAFE_INTEGER };

/** Reads the deadline off a Lambda context, when it has `getRemainingTimeInMillis`. */
const deadlineOf = (context: { getRemainingTimeInMillis?: () => number } | undefined): Deadline => {
  const remaining = context?.getRemainingTimeInMillis;
  return typeof remaining === 'function' ? { remainingMs: () => remaining.call(context) } : NO_DEADLINE;
};

export type { Deadline };
export { deadlineOf, NO_DEADLINE };
