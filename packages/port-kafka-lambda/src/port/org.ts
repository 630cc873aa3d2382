import * as z from 'zod';

/**
 * A Port organization id: `org_` then letters and digits. Port's docs show
 * `org_sYG4DOJZNGy8bYnt` (the usual 16 characters) but also `org_example`, and
 * Port does not document a length, so none is required here: a short id is
 * refused only when Kafka or Port refuse it, not by guesswork of ours.
 */
const ORG_ID_PATTERN = /^org_[A-Za-z0-9]+$/;

/** The id Port's docs use; quoted in messages that ask for an org id. */
const ORG_ID_EXAMPLE = 'org_sYG4DOJZNGy8bYnt';

type RequiredError = NonNullable<Parameters<typeof z.string>[0]>;
type PatternError = NonNullable<Parameters<z.ZodString['regex']>[1]>;

/**
 * The org id schema. Every reader of an org id (handler environment, consumer
 * environment, cdk.json, CLI flags) builds it here and only words its own
 * messages, so the rule itself exists once.
 */
const orgIdSchema = (errors: { required?: RequiredError; invalid?: PatternError } = {}) =>
  z.string(errors.required).regex(ORG_ID_PATTERN, errors.invalid ?? { error: `expected a Port org id such as ${ORG_ID_EXAMPLE}` });

/** For values whose messages need no special wording. */
const OrgId = orgIdSchema();

/** A cheap check for hot or optional paths (a message's `trigger.by.orgId`). */
const isOrgId = (value: unknown): value is string => typeof value === 'string' && ORG_ID_PATTERN.test(value);

export { isOrgId, ORG_ID_EXAMPLE, ORG_ID_PATTERN, OrgId, orgIdSchema };
