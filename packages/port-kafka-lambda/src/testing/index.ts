/**
 * `port-kafka-lambda/testing`: what a team's tests need to run its actions
 * through the real handler against a Port API emulator on loopback.
 */
export type { PortEmulator } from '../emulator/index.js';
export { DEFAULT_EMULATOR_CLIENT, startPortEmulator } from '../emulator/index.js';
export type { LambdaKafkaEvent, LambdaKafkaRecord, RecordSpec } from './factories.js';
export { CHANGES_TOPIC, kafkaEvent, kafkaRecord, lambdaContext, loadEvent, ORG_ID, RUNS_TOPIC, runsEvent, v1Run } from './factories.js';
export type { Harness } from './harness.js';
export { createHarness } from './harness.js';
export { captureLogs } from './logs.js';
export { encryptClientSideSecretInput, encryptSecretInput } from './secrets.js';
