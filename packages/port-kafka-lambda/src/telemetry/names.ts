/**
 * Names of the consumer's own CloudWatch metrics (embedded metric format,
 * written by Powertools Metrics), shared by the handler that emits them and the
 * CDK alarms and dashboard that read them. Kept free of imports so the CDK app
 * does not load Powertools.
 */

/** Namespace when POWERTOOLS_METRICS_NAMESPACE is unset; the stack sets `PortKafkaLambda/<stack name>`. */
const DEFAULT_METRICS_NAMESPACE = 'PortKafkaLambda';

/** Prefix of the namespace the stack gives each deployment, so two stacks in one account do not mix. */
const STACK_METRICS_NAMESPACE_PREFIX = 'PortKafkaLambda/';

/**
 * Dimension names. Powertools adds `service` (POWERTOOLS_SERVICE_NAME) to every
 * metric; the others are kept to bounded sets: action and change handler
 * identifiers come from the app's registry (an unregistered action is
 * {@link UNREGISTERED_ACTION}), reasons from the handler's fixed vocabulary.
 */
const Dimension = {
  Service: 'service',
  Action: 'action',
  ChangeHandler: 'changeHandler',
  Reason: 'reason',
} as const;

/** The action dimension of a run whose action this app has no handler for (one value, however many such actions Port sends). */
const UNREGISTERED_ACTION = 'unregistered';

/**
 * The metrics, by what they count. Per action (`service`, `action`):
 * RunsStarted … RunDuration; RunsFailed and RunsSkipped also per
 * (`service`, `action`, `reason`). Per change handler (`service`,
 * `changeHandler`): Changes…; ChangesFailed also with `reason`. The rest per
 * `service`, the Records… ones also per (`service`, `reason`).
 */
const MetricName = {
  /** A run was handed to the run lifecycle (claim, Port check, the action's handler). */
  RunsStarted: 'RunsStarted',
  /** A run ended SUCCESS in Port (including a stored report delivered again). */
  RunsSucceeded: 'RunsSucceeded',
  /** A run ended FAILURE in Port, or Port refused to end it (`run-not-ended`). */
  RunsFailed: 'RunsFailed',
  /** A run was not executed: already ended, duplicate, unknown action, claim lost… */
  RunsSkipped: 'RunsSkipped',
  /** A run was left for the event source mapping to deliver again (Port or the ledger unreachable, another attempt holds it). */
  RunsRetried: 'RunsRetried',
  /** Milliseconds from handing a run to the lifecycle until its outcome (claim, handler and reports included). */
  RunDuration: 'RunDuration',
  ChangesStarted: 'ChangesStarted',
  ChangesSucceeded: 'ChangesSucceeded',
  /** The change handler threw (the change is parked); a change that does not fit the handler's entity schema never reaches it and is counted in RecordsParked. */
  ChangesFailed: 'ChangesFailed',
  ChangeDuration: 'ChangeDuration',
  /** Records a batch delivered (both topics). */
  Records: 'Records',
  /** Records that were neither a run of this app nor a change a handler wanted (other backends' runs, tombstones, no handler…). */
  RecordsSkipped: 'RecordsSkipped',
  /** Records that could not be read (not base64/UTF-8/JSON, no schema fits). */
  RecordsInvalid: 'RecordsInvalid',
  /** Records left for a retry (transient failures, the deadline, a failed park). */
  RecordsRetried: 'RecordsRetried',
  /** Records written to the parking queue (or log). */
  RecordsParked: 'RecordsParked',
  /** Port API attempts repeated after a 429, 5xx or network failure. */
  PortCallRetries: 'PortCallRetries',
  /** The run ledger refused a claim or a result because another attempt holds the run. */
  LedgerConflicts: 'LedgerConflicts',
  /** A run ledger call failed (DynamoDB unreachable, throttled, refused). */
  LedgerErrors: 'LedgerErrors',
  /** Powertools' cold start metric (dimensions `service`, `function_name`). */
  ColdStart: 'ColdStart',
} as const;
type MetricName = (typeof MetricName)[keyof typeof MetricName];

export { DEFAULT_METRICS_NAMESPACE, Dimension, MetricName, STACK_METRICS_NAMESPACE_PREFIX, UNREGISTERED_ACTION };
