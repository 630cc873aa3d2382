import type * as z from 'zod';
import type { DurableRunContext } from '../durable/context.js';
import { type DurationInput, durationMs } from '../durable/duration.js';
import type { Entity, Trigger } from '../messages/common.js';
import type { RunFormat } from '../messages/run-request.js';
import type { ActionOperation } from '../port/actions.js';
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
 * `lambda/actions/` and list it in `lambda/actions/index.ts`
 * (`npm run new-action -- <identifier>` does both).
 */
interface ActionDefinition<S extends z.ZodType = z.ZodType> {
  /** The action's identifier in Port. */
  identifier: string;
  /** Other identifiers routed here, e.g. the `<blueprint>_`-prefixed v2 form. */
  aliases?: readonly string[];
  /** The blueprint the action belongs to; lets `<blueprint>_<identifier>` match. */
  blueprint?: string;
  description?: string;
  /** Schema of the user inputs; the handler gets its output type. `port sync` makes it the form in Port. */
  inputs: S;
  // What `port sync` writes to Port besides the form (docs/actions-as-code.md).
  /** Title in Port; default the identifier. */
  title?: string;
  /** Icon in Port, one of Port's icon names (e.g. `Service`, `Cloud`). */
  icon?: string;
  /** CREATE (a form), DAY-2 (on an entity of `blueprint`) or DELETE; default DAY-2 with a blueprint, CREATE without. */
  operation?: ActionOperation;
  /** Whether a run waits for approval in Port. */
  requiredApproval?: boolean | { type: 'ANY' | 'ALL' };
  /** Whether Port shows the action to its users. */
  publish?: boolean;
  /**
   * The payload's `environment` (a literal, or JQ in `{{ }}`): the deployment whose
   * BACKEND_ENVIRONMENT equals it takes the run. Default: `port sync --environment`.
   */
  environment?: string;
  /** `false`: `port sync` leaves this action in Port alone (it is managed elsewhere). */
  sync?: boolean;
  /**
   * What to do with a run whose backend stopped mid-run (out of memory, killed,
   * timed out hard): its claim lapsed with no result. `'fail'` (default) reports
   * FAILURE and does not run it again; `'rerun'` runs it again, for handlers that
   * are safe to repeat.
   */
  onInterrupted?: 'fail' | 'rerun';
  /**
   * A long-running action (docs/long-running-actions.md): its runs execute as
   * durable executions of the run executor instead of inside the Kafka
   * handler, so they may take hours and never hold up the records behind
   * them. The handler's context then offers `step`, `wait` and `waitUntil`.
   * `true` takes the defaults.
   */
  durable?: boolean | DurableActionOptions;
  /**
   * Does the work. Runs only once the inputs fit `inputs`; returning reports
   * SUCCESS, throwing reports FAILURE with the error's message.
   */
  // Method syntax on purpose: it makes a definition with a specific schema
  // assignable to ActionDefinition<ZodType>, so the registry can hold them all.
  handler(input: ActionInput<z.output<S>>, ctx: RunContext): Promise<ActionResult | void>;
}

/** A durable action's settings. */
interface DurableActionOptions {
  /**
   * The run's time limit (e.g. `'2h'`), counted from when its record was read;
   * past it the run is reported FAILURE "timed out". Default, and at most, the
   * run executor's execution timeout (24 h unless the stack sets
   * `durableExecutionTimeout`) less a margin for the final report.
   */
  timeout?: DurationInput;
}

/** An action declared `durable`: its handler gets the durable context. */
interface DurableActionDefinition<S extends z.ZodType = z.ZodType> extends Omit<ActionDefinition<S>, 'durable' | 'handler'> {
  durable: true | DurableActionOptions;
  handler(input: ActionInput<z.output<S>>, ctx: DurableRunContext): Promise<ActionResult | void>;
}

/** Whether runs of this action execute as durable executions. */
const isDurable = (action: Pick<ActionDefinition, 'durable'>): boolean => action.durable !== undefined && action.durable !== false;

/** The time limit a durable action declares, in ms; undefined when it takes the executor's. */
const declaredTimeoutMs = (action: Pick<ActionDefinition, 'durable'>): number | undefined =>
  typeof action.durable === 'object' && action.durable.timeout !== undefined ? durationMs(action.durable.timeout) : undefined;

/**
 * Declares an action. It only checks the definition and infers the type of
 * `inputs` from the schema; nothing runs until a run for `identifier` arrives.
 *
 * @example
 * ```ts
 * import * as z from 'zod';
 * import { defineAction } from 'port-kafka-lambda';
 *
 * const restartService = defineAction({
 *   identifier: 'restart_service',
 *   blueprint: 'service',
 *   inputs: z.object({ reason: z.string().min(1) }),
 *   async handler({ inputs, entityIdentifier }, ctx) {
 *     await ctx.log(`Restarting ${entityIdentifier}: ${inputs.reason}`);
 *     return { summary: `Restarted ${entityIdentifier}` };
 *   },
 * });
 *
 * export { restartService };
 * ```
 */
function defineAction<S extends z.ZodType>(definition: DurableActionDefinition<S>): DurableActionDefinition<S>;
function defineAction<S extends z.ZodType>(definition: ActionDefinition<S>): ActionDefinition<S>;
function defineAction<S extends z.ZodType>(definition: ActionDefinition<S> | DurableActionDefinition<S>) {
  // A malformed time limit fails when the module loads (the cold start, a test), not when a run arrives.
  declaredTimeoutMs(definition);
  return definition;
}

export type { ActionDefinition, ActionInput, ActionResult, DurableActionDefinition, DurableActionOptions };
export { declaredTimeoutMs, defineAction, isDurable };
