import { type ActionDefinition, isDurable } from '../actions/define.js';
import { createActionRegistry } from '../actions/registry.js';
import { PortKafkaError } from '../errors.js';

/**
 * Event filtering for the runs mapping.
 *
 * Kafka event source mappings filter only on the record's `value` (decoded as
 * UTF-8 and, when it is JSON, matched as an object). Port run messages carry
 * the action identifier in the top-level field `action`, so the pattern is
 * `{"value":{"action":["id1","id2",...]}}`. Records that match no pattern are
 * dropped by Lambda and their offsets are committed: the function never sees
 * them, so they cannot be parked or reported to Port.
 */

/** Lambda's limit on one filter pattern (characters). */
const MAX_PATTERN_LENGTH = 4096;
/** Lambda's default quota of filters per event source mapping. */
const MAX_FILTERS = 5;

interface ValueActionPattern {
  value: { action: string[] };
}

/** A runs-mapping pattern: the action identifiers and/or the backend's environment (both must match). */
interface RunFilterPattern {
  value: { action?: string[]; environment?: string[] };
}

class FilterError extends PortKafkaError {
  constructor(message: string) {
    super(message);
    this.name = 'FilterError';
  }
}

/**
 * Builds the filter patterns that let only runs of the given actions through.
 * Identifiers are de-duplicated and sorted so the template does not change
 * when the registry's order does. Patterns are split to respect the 4 KB
 * limit per pattern; Lambda ORs the patterns of one mapping.
 *
 * @throws FilterError when the list is empty (that would drop every run) or
 *   cannot fit in the filter quota.
 */
function actionFilterPatterns(identifiers: readonly string[], maxLength: number = MAX_PATTERN_LENGTH): ValueActionPattern[] {
  const unique = [...new Set(identifiers)].sort();
  if (unique.length === 0) {
    throw new FilterError('no action identifiers to filter on: the filter would drop every run');
  }
  for (const id of unique) {
    if (id.trim() === '') throw new FilterError('an action identifier is empty');
  }

  const patterns: ValueActionPattern[] = [];
  let current: string[] = [];
  const length = (ids: string[]): number => JSON.stringify({ value: { action: ids } }).length;
  for (const id of unique) {
    if (length([id]) > maxLength) {
      throw new FilterError(`action identifier ${JSON.stringify(id.slice(0, 40))}... is too long for a filter pattern`);
    }
    if (current.length > 0 && length([...current, id]) > maxLength) {
      patterns.push({ value: { action: current } });
      current = [];
    }
    current.push(id);
  }
  patterns.push({ value: { action: current } });

  if (patterns.length > MAX_FILTERS) {
    throw new FilterError(
      `${unique.length} action identifiers need ${patterns.length} filter patterns; Lambda allows ${MAX_FILTERS} per mapping by default`
    );
  }
  return patterns;
}

/**
 * The runs mapping's filter patterns: with `identifiers`, only runs of those
 * actions; with `environment`, only runs whose payload says
 * `"environment": "<environment>"` (several backends on one org topic, each
 * taking its own runs; the handler skips the others too, see
 * routing/ownership.ts). Both given: both must match. A record Lambda drops is
 * never seen by the function, so the handler's own check stays as the
 * backstop for mappings deployed without the filter.
 *
 * @throws FilterError as {@link actionFilterPatterns}, or when neither is given.
 */
function runFilterPatterns(options: { identifiers?: readonly string[]; environment?: string }): RunFilterPattern[] {
  const { identifiers, environment } = options;
  if (environment !== undefined && environment.trim() === '') throw new FilterError('the environment to filter on is empty');
  if (identifiers === undefined) {
    if (environment === undefined) throw new FilterError('nothing to filter on: give action identifiers or an environment');
    return [{ value: { environment: [environment] } }];
  }
  if (environment === undefined) return actionFilterPatterns(identifiers);
  // The environment takes room in every pattern: split the identifiers with it counted.
  const extra = JSON.stringify({ environment: [environment] }).length;
  const patterns = actionFilterPatterns(identifiers, MAX_PATTERN_LENGTH - extra);
  return patterns.map((p) => ({ value: { action: p.value.action, environment: [environment] } }));
}

/**
 * Every name the handler routes to a registered action: identifiers, aliases,
 * and the `<blueprint>_`-prefixed and stripped forms v2 actions arrive under.
 * Taken from the handler's own registry so the filter cannot drift from routing.
 */
function registeredIdentifiers(actions: readonly ActionDefinition[]): string[] {
  return createActionRegistry(actions).identifiers();
}

/** The identifiers of the durable actions (`defineAction({ durable })`): the stack creates the run executor when there is one. */
function durableActionIdentifiers(actions: readonly ActionDefinition[]): string[] {
  return actions.filter(isDurable).map((a) => a.identifier);
}

export type { RunFilterPattern, ValueActionPattern };
export {
  actionFilterPatterns,
  durableActionIdentifiers,
  FilterError,
  MAX_FILTERS,
  MAX_PATTERN_LENGTH,
  registeredIdentifiers,
  runFilterPatterns,
};
