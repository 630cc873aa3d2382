import * as z from 'zod';
import type { ActionDefinition } from '../actions/define.js';
import { PortKafkaError } from '../errors.js';
import { ENTITY_EVENTS, RUN_EVENTS, TIMER_EVENT } from '../port/actions.js';
import { issueLines } from '../validation.js';

/**
 * Automations as code. An automation is Port's "when X happens, run Y": a
 * trigger on catalog or run events, an optional JQ condition, and a backend.
 * Here the backend is one of the app's actions: `port sync` writes the
 * automation with a Kafka payload naming the automation literally, and the
 * app routes that name to the action's handler (see defineApp).
 */

/** What starts the automation: an entity event on a blueprint, a timer property expiring, or a run event of an action. */
const AutomationTriggerSchema = z.discriminatedUnion('event', [
  z.strictObject({ event: z.enum(ENTITY_EVENTS), blueprint: z.string().min(1) }),
  z.strictObject({ event: z.literal(TIMER_EVENT), blueprint: z.string().min(1), property: z.string().min(1) }),
  z.strictObject({ event: z.enum(RUN_EVENTS), action: z.string().min(1) }),
]);
type AutomationTrigger = z.infer<typeof AutomationTriggerSchema>;

/** JQ over Port's event (`.diff.after.properties.status == "Active"`); several expressions are and-ed unless `combinator: 'or'`. */
const AutomationConditionSchema = z.union([
  z.string().min(1),
  z.array(z.string().min(1)).min(1),
  z.strictObject({ expressions: z.array(z.string().min(1)).min(1), combinator: z.enum(['and', 'or']).optional() }),
]);
type AutomationCondition = z.infer<typeof AutomationConditionSchema>;

/** The plain-data part of an automation, checked by defineAutomation. */
const AutomationSettingsSchema = z.object({
  identifier: z.string().regex(/^[A-Za-z0-9@_.+:=-]+$/, 'letters, digits and @ _ . + : = -'),
  title: z.string().optional(),
  description: z.string().optional(),
  icon: z.string().optional(),
  publish: z.boolean().optional(),
  trigger: AutomationTriggerSchema,
  condition: AutomationConditionSchema.optional(),
  inputs: z.record(z.string(), z.unknown()).optional(),
  environment: z.string().optional(),
  sync: z.boolean().optional(),
});

interface AutomationDefinition extends z.output<typeof AutomationSettingsSchema> {
  /**
   * The action whose handler runs: its definition, or its identifier. Its
   * `inputs` schema must accept this automation's `inputs` (an automation has
   * no form; with no `inputs` the handler gets `{}`).
   */
  action: ActionDefinition | string;
}

class AutomationDefinitionError extends PortKafkaError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AutomationDefinitionError';
  }
}

/**
 * Declares an automation. Checks its trigger and condition; nothing runs
 * until Port starts a run for it.
 *
 * @example
 * ```ts
 * const redeployOnVersionBump = defineAutomation({
 *   identifier: 'redeploy_on_version_bump',
 *   title: 'Redeploy when the version changes',
 *   trigger: { event: 'ENTITY_UPDATED', blueprint: 'service' },
 *   condition: '.diff.before.properties.version != .diff.after.properties.version',
 *   action: deployService,
 *   inputs: { version: '{{ .event.diff.after.properties.version }}', environment: 'staging' },
 * });
 * ```
 * @throws AutomationDefinitionError listing what is wrong, one line per problem.
 */
const defineAutomation = (definition: AutomationDefinition): AutomationDefinition => {
  const { action, ...settings } = definition;
  const parsed = AutomationSettingsSchema.safeParse(settings);
  if (!parsed.success) {
    const lines = issueLines(parsed.error, { root: 'automation' });
    throw new AutomationDefinitionError(`automation "${String(settings.identifier)}": ${lines.join('; ')}`, { cause: parsed.error });
  }
  if (typeof action !== 'string' && (typeof action !== 'object' || action === null || typeof action.identifier !== 'string')) {
    throw new AutomationDefinitionError(`automation "${settings.identifier}": action must be an action definition or an action identifier`);
  }
  return definition;
};

/** The identifier of the action an automation runs. */
const automationActionId = (automation: AutomationDefinition): string =>
  typeof automation.action === 'string' ? automation.action : automation.action.identifier;

/**
 * The app's actions with each automation's identifier added as an alias of
 * the action it runs, so a run whose payload names the automation reaches
 * that handler in the Lambda, the consumer, `invoke` and the CDK filter alike.
 *
 * @throws AutomationDefinitionError when an automation names an action the app does not have.
 */
const routeAutomations = (actions: readonly ActionDefinition[], automations: readonly AutomationDefinition[]): ActionDefinition[] => {
  const extra = new Map<ActionDefinition, string[]>();
  for (const automation of automations) {
    const target = automation.action;
    const found =
      typeof target === 'string'
        ? actions.find((a) => a.identifier === target)
        : (actions.find((a) => a === target) ?? actions.find((a) => a.identifier === target.identifier));
    if (found === undefined) {
      throw new AutomationDefinitionError(
        `automation "${automation.identifier}" runs action "${automationActionId(automation)}", which is not in the app's actions`
      );
    }
    extra.set(found, [...(extra.get(found) ?? []), automation.identifier]);
  }
  return actions.map((action) => {
    const added = extra.get(action);
    if (added === undefined) return action;
    const aliases = [...new Set([...(action.aliases ?? []), ...added])];
    return { ...action, aliases };
  });
};

export type { AutomationCondition, AutomationDefinition, AutomationTrigger };
export {
  AutomationConditionSchema,
  AutomationDefinitionError,
  AutomationTriggerSchema,
  automationActionId,
  defineAutomation,
  routeAutomations,
};
