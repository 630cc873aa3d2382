/**
 * `port-kafka-lambda/consumer`: the long-lived Kafka consumer that feeds the
 * Lambda handler the batches an event source mapping would. Kept off the main
 * entry so a Lambda bundle never carries the Kafka client.
 */
export { runConsumer } from '../cli/consume.js';
export type { LambdaKafkaEvent, LambdaKafkaRecord } from '../kafka/event.js';
export type { BatchLimits } from './batches.js';
export type { ConsumerConfig } from './config.js';
export { ConsumerConfigError, loadConsumerConfig, MAX_BATCH_BYTES } from './config.js';
export type { BatchHandler, ConsumerDependencies, RunningConsumer } from './consumer.js';
export { startConsumer } from './consumer.js';
export type { BatchContext } from './context.js';
export { batchContext } from './context.js';
export { KafkaConsumeError } from './errors.js';
export { toLambdaKafkaEvent } from './lambda-event.js';
