/**
 * port-kafka-lambda: run Port's Kafka-backed self-service actions, automations
 * and catalog change handlers on AWS Lambda (or a long-lived consumer).
 *
 * This entry is what a Lambda bundle imports; it pulls in neither the AWS CDK,
 * nor the Kafka client, nor the local tools. Those live under the subpaths
 * `port-kafka-lambda/cdk`, `/consumer` and `/testing`.
 */

export type { ActionDefinition, ActionInput, ActionResult, DurableActionDefinition, DurableActionOptions } from './actions/define.js';
export { defineAction, isDurable } from './actions/define.js';
export type { EntityRef, PortInputMeta, SecretInputOptions } from './actions/inputs.js';
export { entityInput, portInput, secretInput, teamInput, userInput } from './actions/inputs.js';
export type { PortKafkaApp } from './app.js';
export { defineApp } from './app.js';
export type { AutomationCondition, AutomationDefinition, AutomationTrigger } from './automations/define.js';
export { AutomationDefinitionError, defineAutomation } from './automations/define.js';
export type { BatchReport, RecordOutcome } from './batch/outcome.js';
export { OutcomeStatus } from './batch/outcome.js';
export type { ChangeContext, ChangeHandlerDefinition, ChangeMatch, TypedChangeEvent } from './changes/define.js';
export { defineChangeHandler } from './changes/define.js';
export { ChangeEntityError } from './changes/entity.js';
export type { HandlerConfig } from './config.js';
export { loadConfig } from './config.js';
export type { DurableRunContext, DurableStepOptions, WaitUntilOptions } from './durable/context.js';
export { DurableRunPayloadError, WaitUntilTimeoutError } from './durable/context.js';
export type { DurationInput } from './durable/duration.js';
export { DurationError } from './durable/duration.js';
export type { DurableExecutorHandler } from './durable/lambda.js';
export { createDurableExecutor, hasDurableActions } from './durable/lambda.js';
export { ConfigError, PortKafkaError } from './errors.js';
export type { HandlerDependencies } from './handler.js';
export { BatchRetryError, createHandler, InvalidEventError } from './handler.js';
export type { KafkaBatchItemFailure, KafkaBatchResponse } from './kafka/event.js';
export { KafkaEvent, KafkaRecord } from './kafka/event.js';
export type { PortKafkaLambdaHandler } from './lambda.js';
export { createLambdaHandler } from './lambda.js';
export type { Logger } from './logging/logger.js';
export { createLogger } from './logging/logger.js';
export { redactSecrets } from './logging/redact.js';
export { PortChangeMessage } from './messages/change.js';
export { Entity, isObject, JsonObject, PortUser, Trigger } from './messages/common.js';
export type { ChangeEvent, CustomRunParser } from './messages/normalize.js';
export { PortRunMessage, RECOMMENDED_SCHEMA, RecommendedRunMessage, recommendedPayloadTemplate } from './messages/run.js';
export type { RunRequest } from './messages/run-request.js';
export type { ParkedRecord, Parker } from './parking/parker.js';
export { MemoryParker } from './parking/parker.js';
export type { ActionOperation, PortAction, PortActionBody, PortUserInput, PortUserInputs, SecretEncryption } from './port/actions.js';
export type {
  BulkUpsertOptions,
  BulkUpsertResult,
  EntityInput,
  EntityQuery,
  PortBlueprint,
  PortClient,
  PortClientOptions,
  PortEntity,
  PortRun,
  RunPatch,
  SearchOptions,
} from './port/client.js';
export { createPortClient } from './port/client.js';
export type { CredentialsLoader, PortCredentials } from './port/credentials.js';
export { assertCredentialsConfigured, CredentialsEnv, createCredentialsLoader } from './port/credentials.js';
export {
  PortApiError,
  PortAuthError,
  PortBaseUrlError,
  PortCredentialsError,
  PortError,
  PortResponseError,
  PortUnavailableError,
  SecretInputDecryptionError,
} from './port/errors.js';
export { isPortConsumerGroup, portTopics } from './port/kafka.js';
export type { PortRegion, PortRegionEndpoints } from './port/regions.js';
export { PORT_REGION_NAMES, PORT_REGIONS, resolvePortBaseUrl } from './port/regions.js';
export type { RunContext } from './runs/context.js';
export {
  DeadlineError,
  RunClaimedError,
  RunClosedError,
  RunNotEndedError,
  RunTimeoutError,
  SecretInputError,
} from './runs/errors.js';
export { INTERRUPTED_SUMMARY } from './runs/execute.js';
export { LazyRunLedger } from './runs/ledger/lazy.js';
export type { ClaimOutcome, ClaimRequest, EntryState, FinalReport, InterruptPolicy, LedgerEntry, RunLedger } from './runs/ledger/ledger.js';
export { entryState, RunLedgerError } from './runs/ledger/ledger.js';
export { MemoryRunLedger } from './runs/ledger/memory.js';
export { createRunLedgerTableInput, RunLedgerTable } from './runs/ledger/table.js';
export { describeIssues } from './validation.js';
