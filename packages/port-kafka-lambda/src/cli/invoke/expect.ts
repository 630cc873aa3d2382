import type { BatchReport, RecordOutcome } from '../../batch/outcome.js';
import type { Expectation } from './classify.js';

/** Statuses that are problems unless a file declares them in `$expect`. */
const BAD_STATUSES = ['failed', 'invalid', 'retry'] as const;
/** Statuses checked only when declared. */
const DECLARED_ONLY = ['succeeded', 'skipped'] as const;

/**
 * The "handled as expected" rule, per file:
 * - the handler returned (no error escaped it, or a report was still produced);
 * - `failed`, `invalid` and `retry` counts equal `$expect` (0 when undeclared),
 *   and `succeeded` / `skipped` equal `$expect` when declared;
 * - no run was skipped because Port does not know it (`run-not-found`):
 *   that means nothing was executed, which is never what a local invoke wants.
 * Returns one line per problem; empty means as expected.
 */
const checkExpectations = (report: BatchReport | undefined, expect: Expectation, handlerError?: string): string[] => {
  if (!report) return [`the handler failed before reporting: ${handlerError ?? 'no report'}`];
  const problems: string[] = [];
  for (const status of BAD_STATUSES) {
    const want = expect[status] ?? 0;
    const got = report.counts[status];
    if (got !== want) problems.push(`${got} ${status} record(s), expected ${want}`);
  }
  for (const status of DECLARED_ONLY) {
    const want = expect[status];
    const got = report.counts[status];
    if (want !== undefined && got !== want) problems.push(`${got} ${status} record(s), expected ${want}`);
  }
  const notFound = report.outcomes.filter((o: RecordOutcome) => o.reason === 'run-not-found');
  for (const o of notFound) problems.push(`run ${o.runId ?? '?'} does not exist in Port, so nothing was executed`);
  return problems;
};

export { checkExpectations };
