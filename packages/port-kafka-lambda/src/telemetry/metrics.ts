import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { BatchReport } from '../batch/outcome.js';
import { Dimension, MetricName, UNREGISTERED_ACTION } from './names.js';

/** A dimension value that is safe to publish: short, from the handler's fixed vocabulary. */
const REASON_PATTERN = /^[a-z0-9][a-z0-9-]{0,47}$/;
/** Reasons are the handler's own short words; anything else (never expected) is folded so cardinality stays bounded. */
const boundedReason = (reason: string): string => (REASON_PATTERN.test(reason) ? reason : 'other');

/**
 * EMF allows at most 100 values per metric in one line, and Powertools
 * publishes (and drops the dimensions) on its own when a metric reaches 100:
 * lines are cut before that.
 */
const MAX_VALUES_PER_LINE = 99;

type DimensionSet = Readonly<Record<string, string>>;

/** Metrics that share dimension values, published as one EMF line. */
interface Group {
  /** Dimensions besides `service` (Powertools adds it): none, or one set. */
  readonly sets: readonly DimensionSet[];
  readonly counts: Map<MetricName, number>;
  readonly values: Map<MetricName, number[]>;
}

interface ConsumerMetricsOptions {
  /** A Powertools Metrics instance; default one for POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME. */
  metrics?: Metrics;
  /** Maps the name a run arrived under to its action's identifier, or undefined when no action is registered for it. */
  resolveAction?: (name: string) => string | undefined;
}

/**
 * The consumer's CloudWatch metrics, counted in memory during an invocation
 * and written once at its end by {@link ConsumerMetrics.flush} as EMF lines
 * through Powertools Metrics (one line per set of dimension values, so the
 * cost per record is a map update, not a line of output).
 *
 * Where the counts come from (see metrics/instrument.ts): per action and per
 * change handler from wrappers around the run executor and the change
 * handlers; what became of each record from the batch report; Port retries,
 * ledger conflicts and errors, and parked records from hooks on those clients.
 */
class ConsumerMetrics {
  readonly powertools: Metrics;
  readonly #groups = new Map<string, Group>();
  #resolveAction: (name: string) => string | undefined;
  readonly #actionNames = new Map<string, string>();

  constructor(options: ConsumerMetricsOptions = {}) {
    this.powertools = options.metrics ?? new Metrics();
    this.#resolveAction = options.resolveAction ?? ((name) => name);
  }

  /** Sets how run names map to action identifiers (the handler passes its registry). */
  resolveActionsWith(resolve: (name: string) => string | undefined): void {
    this.#resolveAction = resolve;
    this.#actionNames.clear();
  }

  /** The action dimension of a run that arrived under `name` (an alias, a `<blueprint>_` form…). */
  actionOf(name: string): string {
    let value = this.#actionNames.get(name);
    if (value === undefined) {
      value = this.#resolveAction(name) ?? UNREGISTERED_ACTION;
      this.#actionNames.set(name, value);
    }
    return value;
  }

  #group(key: string, sets: () => readonly DimensionSet[]): Group {
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = { sets: sets(), counts: new Map(), values: new Map() };
      this.#groups.set(key, group);
    }
    return group;
  }

  #count(group: Group, name: MetricName, by = 1): void {
    group.counts.set(name, (group.counts.get(name) ?? 0) + by);
  }

  #value(group: Group, name: MetricName, value: number): void {
    const list = group.values.get(name);
    if (list === undefined) group.values.set(name, [value]);
    else list.push(value);
  }

  // One dimension set per line: Powertools warns on every line whose sets
  // share a key, so a count wanted both per (action, reason) and per action is
  // added to both groups instead. Keys join the values with a character no
  // identifier or reason contains.
  #service = () => this.#group('s', () => []);
  #serviceReason = (reason: string) => this.#group(`s\u0000${reason}`, () => [{ [Dimension.Reason]: reason }]);
  #action = (action: string) => this.#group(`a\u0000${action}`, () => [{ [Dimension.Action]: action }]);
  #actionReason = (action: string, reason: string) =>
    this.#group(`a\u0000${action}\u0000${reason}`, () => [{ [Dimension.Action]: action, [Dimension.Reason]: reason }]);
  #handler = (handler: string) => this.#group(`h\u0000${handler}`, () => [{ [Dimension.ChangeHandler]: handler }]);
  #handlerReason = (handler: string, reason: string) =>
    this.#group(`h\u0000${handler}\u0000${reason}`, () => [{ [Dimension.ChangeHandler]: handler, [Dimension.Reason]: reason }]);

  /** A count per action and per (action, reason). */
  #countActionReason(action: string, reason: string, name: MetricName): void {
    this.#count(this.#action(action), name);
    this.#count(this.#actionReason(action, boundedReason(reason)), name);
  }

  /** A count per service and per (service, reason). */
  #countServiceReason(reason: string, name: MetricName): void {
    this.#count(this.#service(), name);
    this.#count(this.#serviceReason(boundedReason(reason)), name);
  }

  runStarted(action: string): void {
    this.#count(this.#action(action), MetricName.RunsStarted);
  }

  runDuration(action: string, ms: number): void {
    this.#value(this.#action(action), MetricName.RunDuration, ms);
  }

  /** A run the lifecycle threw on: left for a retry, or failed (`run-not-ended`). */
  runThrew(action: string, retryable: boolean, reason: string): void {
    if (retryable) this.#count(this.#action(action), MetricName.RunsRetried);
    else this.#countActionReason(action, reason, MetricName.RunsFailed);
  }

  changeStarted(handler: string): void {
    this.#count(this.#handler(handler), MetricName.ChangesStarted);
  }

  changeEnded(handler: string, failure: string | undefined, ms: number): void {
    const group = this.#handler(handler);
    if (failure === undefined) {
      this.#count(group, MetricName.ChangesSucceeded);
    } else {
      this.#count(group, MetricName.ChangesFailed);
      this.#count(this.#handlerReason(handler, boundedReason(failure)), MetricName.ChangesFailed);
    }
    this.#value(group, MetricName.ChangeDuration, ms);
  }

  parked(reason: string): void {
    this.#countServiceReason(reason, MetricName.RecordsParked);
  }

  /** Bound, so it can be handed to the Port client as its `onRetry` hook. */
  readonly portRetry = (): void => {
    this.#count(this.#service(), MetricName.PortCallRetries);
  };

  ledgerConflict(): void {
    this.#count(this.#service(), MetricName.LedgerConflicts);
  }

  ledgerError(): void {
    this.#count(this.#service(), MetricName.LedgerErrors);
  }

  /**
   * What became of each record, from the batch report. Runs are counted per
   * action when the outcome names one (the lifecycle returned); a lifecycle
   * that threw was counted by the executor wrapper, and change handlers by
   * theirs, so neither is counted twice here.
   */
  batch(report: BatchReport): void {
    this.#count(this.#service(), MetricName.Records, report.outcomes.length);
    for (const o of report.outcomes) {
      switch (o.status) {
        case 'succeeded':
          if (o.action !== undefined) this.#count(this.#action(this.actionOf(o.action)), MetricName.RunsSucceeded);
          break;
        case 'failed':
          if (o.action !== undefined) this.#countActionReason(this.actionOf(o.action), o.reason, MetricName.RunsFailed);
          break;
        case 'skipped':
          if (o.action !== undefined) this.#countActionReason(this.actionOf(o.action), o.reason, MetricName.RunsSkipped);
          else this.#countServiceReason(o.reason, MetricName.RecordsSkipped);
          break;
        case 'invalid':
          this.#countServiceReason(o.reason, MetricName.RecordsInvalid);
          break;
        case 'retry':
          this.#countServiceReason(o.reason, MetricName.RecordsRetried);
          break;
      }
    }
  }

  /** Powertools' ColdStart metric, once per container (Powertools keeps the flag). */
  coldStart(functionName?: string): void {
    this.powertools.captureColdStartMetric(functionName);
  }

  /** True when something was counted since the last flush. */
  get pending(): boolean {
    return this.#groups.size > 0;
  }

  /**
   * Writes everything counted since the last flush, one EMF line per set of
   * dimension values (more when a duration has over 99 values), and starts
   * afresh. Returns the number of lines written.
   */
  flush(): number {
    const m = this.powertools;
    let lines = 0;
    try {
      for (const group of this.#groups.values()) {
        let longest = 0;
        for (const list of group.values.values()) longest = Math.max(longest, list.length);
        const chunks = Math.max(1, Math.ceil(longest / MAX_VALUES_PER_LINE));
        for (let chunk = 0; chunk < chunks; chunk++) {
          for (const set of group.sets) m.addDimensions(set);
          if (chunk === 0) for (const [name, n] of group.counts) m.addMetric(name, MetricUnit.Count, n);
          for (const [name, list] of group.values) {
            for (const v of list.slice(chunk * MAX_VALUES_PER_LINE, (chunk + 1) * MAX_VALUES_PER_LINE)) {
              m.addMetric(name, MetricUnit.Milliseconds, v);
            }
          }
          if (m.hasStoredMetrics()) {
            m.publishStoredMetrics();
            lines++;
          } else {
            m.clearDimensions();
          }
        }
      }
    } finally {
      this.#groups.clear();
    }
    return lines;
  }
}

export type { ConsumerMetricsOptions };
export { boundedReason, ConsumerMetrics };
