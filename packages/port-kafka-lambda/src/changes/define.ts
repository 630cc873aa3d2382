import type { Logger } from '@aws-lambda-powertools/logger';
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
  /** Aborted when the Lambda deadline is near. */
  signal: AbortSignal;
}

/** A handler for catalog changes; one file per handler under `lambda/changes/`. */
interface ChangeHandlerDefinition {
  name: string;
  match: ChangeMatch;
  handle(change: ChangeEvent, ctx: ChangeContext): Promise<void>;
}

const defineChangeHandler = (definition: ChangeHandlerDefinition): ChangeHandlerDefinition => definition;

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

export type { ChangeContext, ChangeHandlerDefinition, ChangeMatch };
export { defineChangeHandler, matchesChange };
