/** How long this invocation has left; Lambda's context knows, tests and local runs may not. */
interface Deadline {
  remainingMs(): number;
}

/**
 * setTimeout and AbortSignal.timeout take at most 2^31-1 ms; Node fires a
 * longer delay after 1 ms, and NO_DEADLINE's budget is far longer.
 */
const MAX_TIMER_MS = 2_147_483_647;

/** A deadline far enough away to never matter (local invoke without a Lambda context). */
const NO_DEADLINE: Deadline = { remainingMs: () => Number.MAX_SAFE_INTEGER };

/** Reads the deadline off a Lambda context, when it has `getRemainingTimeInMillis`. */
const deadlineOf = (context: { getRemainingTimeInMillis?: () => number } | undefined): Deadline => {
  const remaining = context?.getRemainingTimeInMillis;
  return typeof remaining === 'function' ? { remainingMs: () => remaining.call(context) } : NO_DEADLINE;
};

export type { Deadline };
export { deadlineOf, MAX_TIMER_MS, NO_DEADLINE };
