import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { BatchReport } from '../batch/outcome.js';
import { Dimension, MetricName, UNREGISTERED_ACTION } from './names.js';

/** A dimension value that is safe to publish: short, from the handler's fixed vocabulary. */
const REASON_PATTERN = /^[a-z0-9][a-z0-9-]{0,47}$/;
/** Reasons are the handler's own short words; anything else (never expected) is folded so cardinality stays bounded. */
const boundedReason = (reason: string): string => (REASON_PATTERN.test(reason) ? reason : 'other');

/**
 * Durations kept per metric and group in one invocation. EMF takes at most
 * 100 values per metric in a line (Powertools publishes on its own, and drops
 * the dimensions, when a metric reaches 100), and each value costs ~2 µs to
 * write through Powertools: a batch of 10,000 runs would pay 20 ms for its
 * durations alone. Past this many, a uniform sample is kept (reservoir
 * sampling), so every group is one line. The default batch (50) keeps all.
 */
const MAX_DURATION_SAMPLES = 99;

type DimensionSet = Readonly<Record<string, string>>;

/** A reservoir of durations: at most MAX_DURATION_SAMPLES of `seen`, each kept with equal chance. */
interface Samples {
  readonly values: number[];
  seen: number;
}

/** Metrics that share dimension values, published as one EMF line. */
interface Group {
  /** Dimensions besides `service` (Powertools adds it). */
  readonly dimensions: DimensionSet;
  readonly counts: Map<MetricName, number>;
  readonly samples: Map<MetricName, Samples>;
}

const newGroup = (dimensions: DimensionSet): Group => ({ dimensions, counts: new Map(), samples: new Map() });

/** Groups by one dimension value, and by that value and a reason (one map level each, no key strings). */
class GroupTable {
  readonly #byValue = new Map<string, Group>();
  readonly #byValueReason = new Map<string, Map<string, Group>>();
  constructor(private readonly dimension: string) {}

  of(value: string): Group {
    let group = this.#byValue.get(value);
    if (group === undefined) {
      group = newGroup({ [this.dimension]: value });
      this.#byValue.set(value, group);
    }
    return group;
  }

  withReason(value: string, reason: string): Group {
    let reasons = this.#byValueReason.get(value);
    if (reasons === undefined) {
      reasons = new Map();
      this.#byValueReason.set(value, reasons);
    }
    let group = reasons.get(reason);
    if (group === undefined) {
      group = newGroup({ [this.dimension]: value, [Dimension.Reason]: reason });
      reasons.set(reason, group);
    }
    return group;
  }

  *groups(): Generator<Group> {
    yield* this.#byValue.values();
    for (const reasons of this.#byValueReason.values()) yield* reasons.values();
  }

  clear(): void {
    this.#byValue.clear();
    this.#byValueReason.clear();
  }
}

interface ConsumerMetricsOptions {
  /** A Powertools Metrics instance; default one for POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME. */
  metrics?: Metrics;
  /** Maps the name a run arrived under to its action's identifier, or undefined when no action is registered for it. */
  resolveAction?: (name: string) => string | undefined;
  /** Source of the duration sample's randomness in [0, 1); default Math.random. */
  random?: () => number;
}

/**
 * The consumer's CloudWatch metrics, counted in memory during an invocation
 * and written once at its end by {@link ConsumerMetrics.flush} as EMF lines
 * through Powertools Metrics (one line per set of dimension values, so the
 * cost per record is a map update, not a line of output).
 *
 * Where the counts come from (see telemetry/instrument.ts): per action and per
 * change handler from wrappers around the run executor and the change
 * handlers; what became of each record from the batch report; Port retries,
 * ledger conflicts and errors, and parked records from hooks on those clients.
 *
 * A count wanted both per (x, reason) and per x is added to both groups: one
 * dimension set per line, because Powertools warns on every line whose sets
 * share a key.
 */
class ConsumerMetrics {
  readonly powertools: Metrics;
  readonly #service = newGroup({});
  /** Per (service, reason): keyed by the reason. */
  readonly #serviceReasons = new Map<string, Group>();
  readonly #actions = new GroupTable(Dimension.Action);
  readonly #handlers = new GroupTable(Dimension.ChangeHandler);
  #resolveAction: (name: string) => string | undefined;
  readonly #actionNames = new Map<string, string>();
  readonly #random: () => number;
  #pending = false;

  constructor(options: ConsumerMetricsOptions = {}) {
    this.powertools = options.metrics ?? new Metrics();
    this.#resolveAction = options.resolveAction ?? ((name) => name);
    this.#random = options.random ?? Math.random;
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

  #count(group: Group, name: MetricName, by = 1): void {
    group.counts.set(name, (group.counts.get(name) ?? 0) + by);
    this.#pending = true;
  }

  #sample(group: Group, name: MetricName, value: number): void {
    let samples = group.samples.get(name);
    if (samples === undefined) {
      samples = { values: [], seen: 0 };
      group.samples.set(name, samples);
    }
    samples.seen++;
    // Whole microseconds: shorter lines, and nothing finer is meaningful here.
    const rounded = Math.round(value * 1000) / 1000;
    if (samples.values.length < MAX_DURATION_SAMPLES) {
      samples.values.push(rounded);
    } else {
      const slot = Math.floor(this.#random() * samples.seen);
      if (slot < MAX_DURATION_SAMPLES) samples.values[slot] = rounded;
    }
    this.#pending = true;
  }

  #serviceReason(reason: string): Group {
    let group = this.#serviceReasons.get(reason);
    if (group === undefined) {
      group = newGroup({ [Dimension.Reason]: reason });
      this.#serviceReasons.set(reason, group);
    }
    return group;
  }

  #countActionReason(action: string, reason: string, name: MetricName): void {
    this.#count(this.#actions.of(action), name);
    this.#count(this.#actions.withReason(action, boundedReason(reason)), name);
  }

  #countServiceReason(reason: string, name: MetricName): void {
    this.#count(this.#service, name);
    this.#count(this.#serviceReason(boundedReason(reason)), name);
  }

  runStarted(action: string): void {
    this.#count(this.#actions.of(action), MetricName.RunsStarted);
  }

  runDuration(action: string, ms: number): void {
    this.#sample(this.#actions.of(action), MetricName.RunDuration, ms);
  }

  /** A run the lifecycle threw on: left for a retry, or failed (`run-not-ended`). */
  runThrew(action: string, retryable: boolean, reason: string): void {
    if (retryable) this.#count(this.#actions.of(action), MetricName.RunsRetried);
    else this.#countActionReason(action, reason, MetricName.RunsFailed);
  }

  changeStarted(handler: string): void {
    this.#count(this.#handlers.of(handler), MetricName.ChangesStarted);
  }

  changeEnded(handler: string, failure: string | undefined, ms: number): void {
    const group = this.#handlers.of(handler);
    if (failure === undefined) {
      this.#count(group, MetricName.ChangesSucceeded);
    } else {
      this.#count(group, MetricName.ChangesFailed);
      this.#count(this.#handlers.withReason(handler, boundedReason(failure)), MetricName.ChangesFailed);
    }
    this.#sample(group, MetricName.ChangeDuration, ms);
  }

  parked(reason: string): void {
    this.#countServiceReason(reason, MetricName.RecordsParked);
  }

  /** Bound, so it can be handed to the Port client as its `onRetry` hook. */
  readonly portRetry = (): void => {
    this.#count(this.#service, MetricName.PortCallRetries);
  };

  ledgerConflict(): void {
    this.#count(this.#service, MetricName.LedgerConflicts);
  }

  ledgerError(): void {
    this.#count(this.#service, MetricName.LedgerErrors);
  }

  /**
   * What became of each record, from the batch report. Runs are counted per
   * action when the outcome names one (the lifecycle returned); a lifecycle
   * that threw was counted by the executor wrapper, and change handlers by
   * theirs, so neither is counted twice here.
   */
  batch(report: BatchReport): void {
    this.#count(this.#service, MetricName.Records, report.outcomes.length);
    for (const o of report.outcomes) {
      switch (o.status) {
        case 'succeeded':
          if (o.action !== undefined) this.#count(this.#actions.of(this.actionOf(o.action)), MetricName.RunsSucceeded);
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
    return this.#pending;
  }

  /**
   * Writes everything counted since the last flush, one EMF line per set of
   * dimension values, and starts afresh. Returns the number of lines written.
   */
  flush(): number {
    if (!this.#pending) return 0;
    const m = this.powertools;
    let lines = 0;
    const write = (group: Group): void => {
      if (group.counts.size === 0 && group.samples.size === 0) return;
      if (Object.keys(group.dimensions).length > 0) m.addDimensions(group.dimensions);
      for (const [name, n] of group.counts) m.addMetric(name, MetricUnit.Count, n);
      for (const [name, samples] of group.samples) for (const v of samples.values) m.addMetric(name, MetricUnit.Milliseconds, v);
      m.publishStoredMetrics();
      lines++;
    };
    try {
      write(this.#service);
      for (const group of this.#serviceReasons.values()) write(group);
      for (const table of [this.#actions, this.#handlers]) for (const group of table.groups()) write(group);
    } finally {
      this.#service.counts.clear();
      this.#service.samples.clear();
      this.#serviceReasons.clear();
      this.#actions.clear();
      this.#handlers.clear();
      this.#pending = false;
    }
    return lines;
  }
}

export type { ConsumerMetricsOptions };
export { boundedReason, ConsumerMetrics, MAX_DURATION_SAMPLES };
