import type { ActionDefinition } from '../actions/define.js';
import type { PortKafkaApp } from '../app.js';
import { type AutomationDefinition, automationActionId } from '../automations/define.js';
import { PortKafkaError } from '../errors.js';
import { recommendedPayloadTemplate } from '../messages/run.js';
import { type AutomationEvent, type PortActionBody, PortActionBodySchema } from '../port/actions.js';
import { describeIssues } from '../validation.js';
import { toPortUserInputs, UnsupportedInputError } from './inputs.js';

/**
 * What `port sync` writes: each action's and automation's definition in
 * Port's JSON (create-an-action-automation), built from the app alone.
 */

/** One action or automation the app defines, as Port will hold it. */
interface DesiredDefinition {
  kind: 'action' | 'automation';
  identifier: string;
  body: PortActionBody;
}

interface BuildOptions {
  /** Written as the payload's `environment` unless the definition sets its own (`--environment`). */
  environment?: string;
}

/** The app cannot be written to Port as it is; one line per problem, nothing was sent. */
class SyncDefinitionError extends PortKafkaError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'SyncDefinitionError';
    this.problems = problems;
  }
}

const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  value === undefined ? {} : ({ [key]: value } as Record<K, V>);

/** Port's JSON for one action: the form from `inputs`, the Kafka backend with the recommended payload. */
const actionBody = (action: ActionDefinition, options: BuildOptions): PortActionBody => {
  const operation = action.operation ?? (action.blueprint ? 'DAY-2' : 'CREATE');
  if (operation !== 'CREATE' && !action.blueprint) {
    throw new SyncDefinitionError([`${action.identifier}: a ${operation} action needs a blueprint (the entity it runs on)`]);
  }
  const environment = action.environment ?? options.environment;
  return {
    identifier: action.identifier,
    title: action.title ?? action.identifier,
    ...optional('description', action.description),
    ...optional('icon', action.icon),
    trigger: {
      type: 'self-service',
      operation,
      ...optional('blueprintIdentifier', action.blueprint),
      userInputs: toPortUserInputs(action.inputs, `${action.identifier}: inputs`),
    },
    invocationMethod: {
      type: 'KAFKA',
      payload: recommendedPayloadTemplate(action.identifier, optional('environment', environment)).payload,
    },
    ...optional('requiredApproval', action.requiredApproval),
    ...optional('publish', action.publish),
  };
};

const automationEvent = (automation: AutomationDefinition): AutomationEvent => {
  const t = automation.trigger;
  if ('action' in t) return { type: t.event, actionIdentifier: t.action };
  if (t.event === 'TIMER_PROPERTY_EXPIRED') return { type: t.event, blueprintIdentifier: t.blueprint, propertyIdentifier: t.property };
  return { type: t.event, blueprintIdentifier: t.blueprint };
};

/**
 * Port's JSON for one automation. The payload is the recommended one with the
 * automation's identifier as a literal `action` (in an automation's trigger
 * data `.action.identifier` does not name it; docs/messages.md), the entity
 * taken from the event's diff, and `inputs` rendered from the automation's
 * JQ templates: an automation has no form.
 */
const automationBody = (automation: AutomationDefinition, options: BuildOptions): PortActionBody => {
  const environment = automation.environment ?? options.environment;
  const base = recommendedPayloadTemplate(automation.identifier, optional('environment', environment));
  const onEntity = !('action' in automation.trigger);
  const condition = automation.condition;
  const expressions =
    condition === undefined
      ? undefined
      : typeof condition === 'string'
        ? [condition]
        : Array.isArray(condition)
          ? condition
          : condition.expressions;
  const combinator =
    condition !== undefined && typeof condition === 'object' && !Array.isArray(condition) ? condition.combinator : undefined;
  return {
    identifier: automation.identifier,
    title: automation.title ?? automation.identifier,
    ...optional('description', automation.description),
    ...optional('icon', automation.icon),
    trigger: {
      type: 'automation',
      event: automationEvent(automation),
      ...(expressions === undefined
        ? {}
        : { condition: { type: 'JQ' as const, expressions: [...expressions], combinator: combinator ?? 'and' } }),
    },
    invocationMethod: {
      type: 'KAFKA',
      payload: {
        ...base.payload,
        blueprint: onEntity ? '{{ .event.context.blueprintIdentifier }}' : null,
        entity: onEntity ? '{{ .event.diff.after // .event.diff.before }}' : null,
        inputs: automation.inputs ?? {},
        encryptedInputs: [],
      },
    },
    ...optional('publish', automation.publish),
  };
};

/**
 * Every definition of the app that `port sync` manages (those with
 * `sync: false` are left alone), actions first, in the app's order.
 *
 * @throws SyncDefinitionError with every problem found (unsupported inputs,
 *   a DAY-2 action without blueprint, an identifier used twice), before anything is sent.
 */
const buildDefinitions = (app: PortKafkaApp, options: BuildOptions = {}): DesiredDefinition[] => {
  const problems: string[] = [];
  const out: DesiredDefinition[] = [];
  const seen = new Map<string, string>();
  const add = (kind: DesiredDefinition['kind'], identifier: string, build: () => PortActionBody) => {
    const taken = seen.get(identifier);
    if (taken !== undefined) {
      problems.push(`${identifier}: defined twice (${taken} and ${kind}); Port holds one action or automation per identifier`);
      return;
    }
    seen.set(identifier, kind);
    try {
      const body = build();
      const checked = PortActionBodySchema.safeParse(body);
      if (!checked.success) {
        problems.push(`${identifier}: not a valid Port ${kind}: ${describeIssues(checked.error)}`);
        return;
      }
      out.push({ kind, identifier, body: checked.data });
    } catch (error) {
      if (error instanceof UnsupportedInputError) problems.push(error.message);
      else if (error instanceof SyncDefinitionError) problems.push(...error.problems);
      else throw error;
    }
  };
  // defineApp added automation identifiers as aliases of their actions: aliases are not written to Port.
  for (const action of app.actions) {
    if (action.sync === false) continue;
    add('action', action.identifier, () => actionBody(action, options));
  }
  for (const automation of app.automations ?? []) {
    if (automation.sync === false) continue;
    add('automation', automation.identifier, () => {
      const target = automationActionId(automation);
      if (!app.actions.some((a) => a.identifier === target)) {
        throw new SyncDefinitionError([`${automation.identifier}: runs action "${target}", which is not in the app's actions`]);
      }
      return automationBody(automation, options);
    });
  }
  if (problems.length > 0) throw new SyncDefinitionError(problems);
  return out;
};

export type { BuildOptions, DesiredDefinition };
export { actionBody, automationBody, buildDefinitions, SyncDefinitionError };
