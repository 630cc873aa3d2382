import type { ActionDefinition } from './actions/define.js';
import { type AutomationDefinition, routeAutomations } from './automations/define.js';
import type { ChangeHandlerDefinition } from './changes/define.js';
import type { CustomRunParser } from './messages/normalize.js';

/**
 * What a team writes: its actions, its change handlers and, for payloads of
 * its own design, a parser. The Lambda entry, the long-lived consumer, the
 * local tools and the CDK construct all take this one object, so they run the
 * same code.
 */
interface PortKafkaApp {
  /** One per Port action identifier (`<blueprint>_`-prefixed and stripped forms both reach it). */
  readonly actions: readonly ActionDefinition[];
  /** Every change event goes to each handler whose `match` fits. */
  readonly changeHandlers?: readonly ChangeHandlerDefinition[];
  /** Reads run payloads that are neither Port's v1 shape nor the recommended template. */
  readonly customRunParser?: CustomRunParser;
  /** Port automations run by these actions; `port sync` writes them to Port (docs/actions-as-code.md). */
  readonly automations?: readonly AutomationDefinition[];
}

/**
 * Declares the team's app. It checks and types the object and routes each
 * automation's identifier to the action it runs (an alias of that action);
 * nothing runs.
 *
 * @example
 * ```ts
 * import { defineApp } from 'port-kafka-lambda';
 * import { actions } from './actions/index.js';
 * import { changeHandlers } from './changes/index.js';
 *
 * export default defineApp({ actions, changeHandlers });
 * ```
 */
const defineApp = (app: PortKafkaApp): PortKafkaApp =>
  app.automations === undefined || app.automations.length === 0 ? app : { ...app, actions: routeAutomations(app.actions, app.automations) };

export type { PortKafkaApp };
export { defineApp };
