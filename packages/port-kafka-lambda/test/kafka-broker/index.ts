// Public surface of the Kafka test broker harness.
export { type KafkaBroker, type KafkaBrokerOptions, type ScramUser, startKafkaBroker } from './broker.js';
export {
  type BrokerEndpoint,
  createAclsAndWait,
  createKafka,
  createProducer,
  createTopics,
  portOrgAcls,
  type TopicSpec,
  withAdmin,
} from './clients.js';
export { type ConsumeTopicOptions, consumeTopic } from './consume.js';
export { type EnsureKafkaJarsOptions, ensureKafkaJars, type KafkaJars } from './kafka-jars.js';
export {
  type ConsumedHeaderValue,
  type ConsumedKafkaMessage,
  type ConsumedKafkaRecord,
  type LambdaKafkaEvent,
  type LambdaKafkaHeader,
  type LambdaKafkaRecord,
  type LambdaMskEvent,
  type LambdaSelfManagedKafkaEvent,
  type MskEventOptions,
  type SelfManagedKafkaEventOptions,
  toLambdaHeaders,
  toLambdaKafkaEvent,
} from './lambda-event.js';
