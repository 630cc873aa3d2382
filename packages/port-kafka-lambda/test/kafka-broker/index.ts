// Public surface of the Kafka test broker harness.
export { startKafkaBroker, type KafkaBroker, type KafkaBrokerOptions, type ScramUser } from './broker.js';
export { ensureKafkaJars, type EnsureKafkaJarsOptions, type KafkaJars } from './kafka-jars.js';
export {
  createAclsAndWait,
  createKafka,
  createProducer,
  createTopics,
  portOrgAcls,
  withAdmin,
  type BrokerEndpoint,
  type TopicSpec,
} from './clients.js';
export { consumeTopic, type ConsumeTopicOptions } from './consume.js';
export {
  toLambdaHeaders,
  toLambdaKafkaEvent,
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
} from './lambda-event.js';
