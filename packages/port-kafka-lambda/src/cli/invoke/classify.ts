import * as z from 'zod';
import { KafkaEvent } from '../../kafka/event.js';
import { isObject } from '../../messages/common.js';
import { type CustomRunParser, normalizeChange, normalizeRun } from '../../messages/normalize.js';
import { RECOMMENDED_SCHEMA } from '../../messages/run.js';
import { TopicKind } from '../../port/kafka.js';
import { foreignChange, foreignRun } from '../../routing/ownership.js';
import { describeIssues } from '../../validation.js';

/**
 * What a sample file may declare about its own outcome, under the top-level
 * key `$expect` (removed before the event reaches the handler). Counts are
 * exact. Undeclared `failed`, `invalid` and `retry` counts are expected to be
 * 0; undeclared `succeeded` and `skipped` counts are not checked.
 */
const Expectation = z.strictObject({
  succeeded: z.number().int().nonnegative().optional(),
  failed: z.number().int().nonnegative().optional(),
  skipped: z.number().int().nonnegative().optional(),
  invalid: z.number().int().nonnegative().optional(),
  retry: z.number().int().nonnegative().optional(),
});
type Expectation = z.infer<typeof Expectation>;

const EXPECT_KEY = '$expect';

type Classified = { kind: 'kafka-event'; event: KafkaEvent } | { kind: TopicKind; message: Record<string, unknown> };

interface ClassifiedFile {
  classified: Classified;
  expect: Expectation;
}

const SHAPE_HINT =
  'expected a Lambda Kafka event ("eventSource" and "records"), a Port run ("resourceType": "run", or "schema": "' +
  RECOMMENDED_SCHEMA +
  '") or a Port change ("resourceType", "action", "diff")';

/**
 * Tells what a parsed file holds. A bare Port message must be readable as the
 * kind it looks like (else the error says why) because it is the user's own
 * input; records inside a Kafka event are taken as delivered, malformed ones
 * included, since that is what the handler must cope with.
 * Returns an error text (no file name) or the classification.
 */
const classifyMessage = (value: unknown, customRunParser?: CustomRunParser): Classified | string => {
  if (!isObject(value)) return `not a Port message or Lambda Kafka event (${SHAPE_HINT})`;
  if ('eventSource' in value || 'records' in value) {
    const parsed = KafkaEvent.safeParse(value);
    if (!parsed.success) return `looks like a Lambda Kafka event but is not one: ${describeIssues(parsed.error)}`;
    return { kind: 'kafka-event', event: parsed.data };
  }
  const isRun = value.schema === RECOMMENDED_SCHEMA;
  // Change-log messages about runs also say resourceType "run"; their diff or
  // destination is what sets them apart from runs-topic messages.
  const isChange = !isRun && ('diff' in value || 'changelogDestination' in value);
  if (isRun || (!isChange && (value.resourceType === 'run' || 'payload' in value))) {
    if (foreignRun(value)) return { kind: TopicKind.Runs, message: value };
    const run = normalizeRun(value, customRunParser);
    if (!run.ok) return `looks like a Port run message but is not readable: ${run.detail}`;
    return { kind: TopicKind.Runs, message: value };
  }
  if (isChange || typeof value.resourceType === 'string') {
    if (foreignChange(value)) return { kind: TopicKind.ChangeLog, message: value };
    const change = normalizeChange(value);
    if (!change.ok) return `looks like a Port change-log message but is not readable: ${change.detail}`;
    return { kind: TopicKind.ChangeLog, message: value };
  }
  return `neither a Lambda Kafka event nor a Port message (${SHAPE_HINT})`;
};

/** Splits off `$expect` and classifies the rest. Returns an error text or the result. */
const classifyFile = (value: unknown, customRunParser?: CustomRunParser): ClassifiedFile | string => {
  let expect: Expectation = {};
  let rest = value;
  if (isObject(value) && EXPECT_KEY in value) {
    const { [EXPECT_KEY]: declared, ...others } = value;
    const parsed = Expectation.safeParse(declared);
    if (!parsed.success) return `"${EXPECT_KEY}" is not valid: ${describeIssues(parsed.error)}`;
    expect = parsed.data;
    rest = others;
  }
  const classified = classifyMessage(rest, customRunParser);
  return typeof classified === 'string' ? classified : { classified, expect };
};

export type { Classified, ClassifiedFile };
export { classifyFile, classifyMessage, EXPECT_KEY, Expectation };
