import type * as z from 'zod';
import type { Entity, Trigger } from '../messages/common.js';
import type { RunFormat } from '../messages/run-request.js';
import type { RunContext } from '../runs/context.js';

/** What an action handler receives about its run. */
interface ActionInput<I> {
  runId: string;
  /** The identifier Port sent (possibly with a `<blueprint>_` prefix). */
  action: string;
  /** User inputs, validated against the action's `inputs` schema. */
  inputs: I;
  entity: Entity | null;
  entityIdentifier: string | null;
  blueprint: string | null;
  /** Who triggered the run (`by.userId`, `by.user.email`), when (`at`) and from where (`origin`). */
  trigger: Trigger;
  format: RunFormat;
  /** An automation's triggering event, when the payload carries it. */
  event?: unknown;
}

/** What a successful handler reports; everything is optional. */
interface ActionResult {
  summary?: string;
  link?: string | readonly string[];
  statusLabel?: string;
  externalRunId?: string;
}

/**
 * One Port action this backend executes. Put each in its own file under
 * `lambda/actions/` and list it in `lambda/actions/index.ts`.
 */
interface ActionDefinition<S extends z.ZodType = z.ZodType> {
  /** The action's identifier in Port. */
  identifier: string;
  /** Other identifiers routed here, e.g. the `<blueprint>_`-prefixed v2 form. */
  aliases?: readonly string[];
  /** The blueprint the action belongs to; lets `<blueprint>_<identifier>` match. */
  blueprint?: string;
  description?: string;
  /** Schema of the user inputs; the handler gets its output type. */
  inputs: S;
  // Method syntax on purpose: it makes a definition with a specific schema
  // assignable to ActionDefinition<ZodType>, so the registry can hold them all.
  run(input: ActionInput<z.output<S>>, ctx: RunContext): Promise<ActionResult | void>;
}

/** Identity function that infers the input type from the schema. */
const defineAction = <S extends z.ZodType>(definition: ActionDefinition<S>): ActionDefinition<S> => definition;

export type { ActionDefinition, ActionInput, ActionResult };
export { defineAction };
