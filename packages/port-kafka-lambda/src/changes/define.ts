import type { Logger } from '@aws-lambda-powertools/logger';
import type * as z from 'zod';
import type { RecordCoordinates } from '../kafka/decode.js';
import type { ChangeEvent } from '../messages/normalize.js';
import type { PortClient } from '../port/client.js';

type OneOrMany = string | readonly string[];

/** Which change events a handler wants; an omitted field matches everything. */
interface ChangeMatch {
  /** `entity`, `run`, `blueprint`... */
  resourceType?: OneOrMany;
  blueprint?: OneOrMany;
  /** CREATE, UPDATE, DELETE, TIMER_EXPIRED (case-insensitive). */
  action?: OneOrMany;
}

interface ChangeContext {
  logger: Logger;
  port: PortClient;
  record: RecordCoordinates;
  /** Aborted when the Lambda deadline is near; pass it to long calls. */
  signal: AbortSignal;
  /** Milliseconds left before `signal` aborts (the Lambda deadline less the configured margin). */
  remainingTimeMs(): number;
}

/**
 * A change event as a handler sees it. `diff.before` is null on CREATE and
 * `diff.after` on DELETE; with an `entity` schema both are that schema's
 * output, validated.
 */
// Not Omit<>: ChangeEvent is a loose object, and Omit over its index signature would drop the named fields.
type TypedChangeEvent<E> = { [K in keyof ChangeEvent as K extends 'diff' ? never : K]: ChangeEvent[K] } & {
  diff: { before: E | null; after: E | null };
};

/**
 * A handler for catalog changes; one file per handler under `lambda/changes/`,
 * listed in `lambda/changes/index.ts`.
 */
interface ChangeHandlerDefinition<S extends z.ZodType = z.ZodType> {
  /** Names the handler in logs, outcomes and parking reasons. */
  identifier: string;
  match: ChangeMatch;
  /**
   * Schema of the entity in `diff.before` / `diff.after`. Each one that is not
   * null is validated before the handler runs, and the handler gets the
   * schema's output type. A change that does not fit is not handled: it is
   * logged and parked like a change whose handler threw, with the failing
   * fields in the reason (see ChangeEntityError). Declaring it also narrows an
   * unset `match.resourceType` to `entity`, so run or blueprint changes never
   * meet the schema.
   */
  entity?: S;
  /** Handles one matching change; throwing parks the change (Kafka does not redeliver it). */
  // Method syntax on purpose: it makes a definition with a specific schema
  // assignable to ChangeHandlerDefinition<ZodType>, so one list holds them all.
  handler(change: TypedChangeEvent<z.output<S>>, ctx: ChangeContext): Promise<void>;
}

/**
 * Declares a change handler. It only checks the definition and, given an
 * `entity` schema, types `change.diff.before` and `change.diff.after` with it.
 *
 * @example
 * ```ts
 * import * as z from 'zod';
 * import { defineChangeHandler } from 'port-kafka-lambda';
 *
 * const Service = z.looseObject({
 *   identifier: z.string(),
 *   properties: z.looseObject({ tier: z.enum(['gold', 'silver', 'bronze']).nullish() }),
 * });
 *
 * const tierAudit = defineChangeHandler({
 *   identifier: 'tier-audit',
 *   match: { blueprint: 'service', action: 'UPDATE' },
 *   entity: Service,
 *   async handler({ diff: { before, after } }, { logger }) {
 *     if (before?.properties.tier !== after?.properties.tier) {
 *       logger.info('Tier changed', { service: after?.identifier, from: before?.properties.tier, to: after?.properties.tier });
 *     }
 *   },
 * });
 *
 * export { tierAudit };
 * ```
 */
// Without `entity` nothing constrains S and it falls back to its default: the diff is `unknown`.
const defineChangeHandler = <S extends z.ZodType = z.ZodUnknown>(definition: ChangeHandlerDefinition<S>): ChangeHandlerDefinition<S> =>
  definition;

const matchesOne = (want: OneOrMany | undefined, got: string | null | undefined, fold = false): boolean => {
  if (want === undefined) return true;
  if (got === null || got === undefined) return false;
  const list: readonly string[] = typeof want === 'string' ? [want] : want;
  return fold ? list.some((w) => w.toUpperCase() === got.toUpperCase()) : list.includes(got);
};

/** True when the change event fits the handler's match. */
const matchesChange = (match: ChangeMatch, change: ChangeEvent): boolean =>
  matchesOne(match.resourceType, change.resourceType) &&
  matchesOne(match.blueprint, change.context.blueprint) &&
  matchesOne(match.action, change.action, true);

/** The match a handler is routed by: an `entity` schema implies `resourceType: 'entity'` unless the match names one. */
const effectiveMatch = (definition: Pick<ChangeHandlerDefinition, 'match' | 'entity'>): ChangeMatch =>
  definition.entity !== undefined && definition.match.resourceType === undefined
    ? { ...definition.match, resourceType: 'entity' }
    : definition.match;

export type { ChangeContext, ChangeHandlerDefinition, ChangeMatch, TypedChangeEvent };
export { defineChangeHandler, effectiveMatch, matchesChange };
