import { PortKafkaError } from '../errors.js';
import type { ActionDefinition } from './define.js';

class DuplicateActionError extends PortKafkaError {
  constructor(identifier: string) {
    super(`Two actions are registered for the identifier "${identifier}"`);
    this.name = 'DuplicateActionError';
  }
}

interface ActionRegistry {
  /** Finds the action for a run, trying the `<blueprint>_` prefixed and stripped forms. */
  resolve(action: string, blueprint: string | null): ActionDefinition | undefined;
  /** Every name a run can arrive under (identifiers, aliases, with and without the blueprint prefix), e.g. for an event filter. */
  identifiers(): string[];
}

/**
 * Builds the lookup table. v2 action identifiers often carry a `<blueprint>_`
 * prefix that Port's backward-compatible template strips, so a run for
 * `vm_create_vm` and one for `create_vm` on blueprint `vm` reach the same action.
 */
const createActionRegistry = (definitions: readonly ActionDefinition[]): ActionRegistry => {
  const byName = new Map<string, ActionDefinition>();
  const add = (name: string, def: ActionDefinition) => {
    const existing = byName.get(name);
    if (existing && existing !== def) throw new DuplicateActionError(name);
    byName.set(name, def);
  };
  for (const def of definitions) {
    add(def.identifier, def);
    for (const alias of def.aliases ?? []) add(alias, def);
    if (def.blueprint) {
      const prefix = `${def.blueprint}_`;
      // Both spellings are registered so that identifiers() lists every name
      // a run can arrive under (the CDK app's event filter matches on them).
      if (def.identifier.startsWith(prefix)) add(def.identifier.slice(prefix.length), def);
      else add(prefix + def.identifier, def);
    }
  }
  return {
    resolve(action, blueprint) {
      const direct = byName.get(action);
      if (direct || !blueprint) return direct;
      const prefix = `${blueprint}_`;
      return action.startsWith(prefix) ? byName.get(action.slice(prefix.length)) : byName.get(prefix + action);
    },
    identifiers: () => [...byName.keys()],
  };
};

export type { ActionRegistry };
export { createActionRegistry, DuplicateActionError };
