import type * as z from 'zod';
import { PortKafkaError } from '../errors.js';
import type { ChangeEvent } from '../messages/normalize.js';
import { describeIssues, type Issues, issuePath } from '../validation.js';
import type { ChangeHandlerDefinition, TypedChangeEvent } from './define.js';

/** How many failing fields the reason lists; the rest are counted. */
const MAX_ISSUES = 5;

/**
 * A change's entity does not fit the `entity` schema its handler declared.
 * The handler did not run; the change is parked like one whose handler threw.
 * The message names the handler and each failing field (`diff.after.properties.cpu: ...`),
 * never a value, so it is safe to log and to park.
 */
class ChangeEntityError extends PortKafkaError {
  /** The change handler's identifier. */
  readonly handler: string;
  /** Failing fields as `diff.<before|after>.<path>`, in the order found. */
  readonly fields: readonly string[];

  constructor(handler: string, issues: Issues['issues'], options?: ErrorOptions) {
    super(`The change does not fit the entity schema of change handler "${handler}": ${describeIssues({ issues }, MAX_ISSUES)}`, options);
    this.name = 'ChangeEntityError';
    this.handler = handler;
    this.fields = issues.map((i) => issuePath(i.path));
  }
}

type Side = 'before' | 'after';

/**
 * The change as `definition`'s handler receives it: a missing side becomes
 * null and, when the handler declares an `entity` schema, each side that is
 * not null is replaced by the schema's output. Throws ChangeEntityError,
 * listing the fields of both sides, when either does not fit.
 */
const changeFor = (definition: ChangeHandlerDefinition, change: ChangeEvent): TypedChangeEvent<unknown> => {
  const raw = { before: change.diff.before ?? null, after: change.diff.after ?? null };
  const schema = definition.entity;
  if (schema === undefined) return { ...change, diff: { ...change.diff, ...raw } };

  const issues: { path: PropertyKey[]; message: string }[] = [];
  const errors: z.ZodError[] = [];
  const parse = (side: Side): unknown => {
    if (raw[side] === null) return null;
    const parsed = schema.safeParse(raw[side]);
    if (parsed.success) return parsed.data;
    errors.push(parsed.error);
    for (const issue of parsed.error.issues) {
      issues.push({ path: ['diff', side, ...issue.path], message: issue.message });
    }
    return undefined;
  };
  const before = parse('before');
  const after = parse('after');
  if (issues.length > 0) throw new ChangeEntityError(definition.identifier, issues, { cause: errors.length === 1 ? errors[0] : errors });
  return { ...change, diff: { ...change.diff, before, after } };
};

export { ChangeEntityError, changeFor };
