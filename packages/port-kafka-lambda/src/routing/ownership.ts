import { isObject } from '../messages/common.js';

/**
 * Port's topics are shared with other consumers of the same org. These checks
 * run on the raw JSON, before schema validation, because the messages they
 * recognise do not fit our schemas and are not errors.
 */
const WORKFLOW_NODE_RUN_PREFIX = 'wfnr_';

const ForeignReason = {
  AgentRun: 'agent-run',
  WorkflowNodeRun: 'workflow-node-run',
  NonKafkaChangeDestination: 'non-kafka-change-destination',
  OtherEnvironment: 'other-environment',
} as const;
type ForeignReason = (typeof ForeignReason)[keyof typeof ForeignReason];

/**
 * Returns why a runs-topic message belongs to another consumer, or undefined when it is ours.
 * `environment` (BACKEND_ENVIRONMENT): several backends share the org's topic and
 * each takes only the runs whose payload names its environment (port sync writes
 * `"environment"` into the payload); a run naming another one, or none, is theirs.
 */
const foreignRun = (value: unknown, environment?: string): ForeignReason | undefined => {
  if (!isObject(value)) return undefined;
  const context = value.context;
  // Workflow node runs share the runs topic since port-agent PR #75; their ids
  // start with wfnr_ and they are reported through the workflow API.
  if (isObject(context) && typeof context.runId === 'string' && context.runId.startsWith(WORKFLOW_NODE_RUN_PREFIX)) {
    return ForeignReason.WorkflowNodeRun;
  }
  const payload = value.payload;
  const action = isObject(payload) ? payload.action : undefined;
  const method = isObject(action) ? action.invocationMethod : undefined;
  // Webhook runs executed by Port's self-hosted agent travel on the same topic.
  if (isObject(method) && method.agent === true) return ForeignReason.AgentRun;
  if (environment !== undefined && value.environment !== environment) return ForeignReason.OtherEnvironment;
  return undefined;
};

/** Returns why a change-log message belongs to another consumer, or undefined when it is ours. */
const foreignChange = (value: unknown): ForeignReason | undefined => {
  if (!isObject(value)) return undefined;
  const destination = value.changelogDestination;
  if (isObject(destination) && destination.type !== 'KAFKA') return ForeignReason.NonKafkaChangeDestination;
  return undefined;
};

export { ForeignReason, foreignChange, foreignRun };
