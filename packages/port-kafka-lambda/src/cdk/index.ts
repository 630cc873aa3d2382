/**
 * `port-kafka-lambda/cdk`: the CDK stack and constructs that deploy a team's
 * app behind one self-managed Kafka event source mapping per Port topic, and
 * the reader of the stack settings in cdk.json. Loads aws-cdk-lib, so it is
 * kept off the main entry.
 */
export { BUNDLE_CONDITIONS, CREATE_REQUIRE_BANNER, SOURCE_CONDITION } from './bundling.js';
export type { ConfigKey, ContextReader, DeployConfig, ProvisionedConfig, SecretSource } from './config.js';
export { DeployConfigError, loadDeployConfig } from './config.js';
export type { ConsumerFunctionProps } from './constructs/consumer-function.js';
export { ConsumerFunction } from './constructs/consumer-function.js';
export type { RunExecutorProps } from './constructs/run-executor.js';
export { EXECUTOR_ALIAS, RUN_EXECUTOR_ENTRY, RunExecutor } from './constructs/run-executor.js';
export { RunLedger } from './constructs/run-ledger.js';
export type { SweeperProps } from './constructs/sweeper.js';
export { SWEEPER_ENTRY, Sweeper } from './constructs/sweeper.js';
export { actionFilterPatterns, durableActionIdentifiers, FilterError, registeredIdentifiers, runFilterPatterns } from './filters.js';
export type { PortKafkaStackProps } from './stack.js';
export { APP_ENTRY, HANDLER_ENTRY, PLACEHOLDER_ORG_ID, PortKafkaStack, RUNS_NOT_ENDED_METRIC } from './stack.js';
