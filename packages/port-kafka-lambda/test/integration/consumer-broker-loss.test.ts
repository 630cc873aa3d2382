// The brokers going away under a running consumer: it must stop with the same one-line
// explanation as at start (the CLI then exits 1 for the orchestrator to restart it), not
// hang or spin. Its own broker, because the test kills it.

import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { expect, it } from '@jest/globals';
import { loadConsumerConfig } from '../../src/consumer/config.js';
import { startConsumer } from '../../src/consumer/consumer.js';
import { KafkaConsumeError } from '../../src/consumer/errors.js';
import { createTopics, startKafkaBroker } from '../kafka-broker/index.js';

const ORG = 'org_BrokerLoss';

it('stops with "Cannot reach the Kafka brokers" when the brokers disappear mid-stream', async () => {
  const user = { username: `${ORG}-user`, password: randomBytes(12).toString('hex'), orgId: ORG };
  const broker = await startKafkaBroker({ users: [user] });
  try {
    await createTopics(broker, [{ topic: `${ORG}.runs` }]);
    const consumer = await startConsumer({
      config: loadConsumerConfig({
        PORT_ORG_ID: ORG,
        KAFKA_BROKERS: broker.bootstrapServers,
        KAFKA_USERNAME: user.username,
        KAFKA_PASSWORD: user.password,
        KAFKA_CONSUMER_GROUP: `${ORG}.loss`,
        KAFKA_CA_FILE: broker.caPath,
      }),
      logger: new Logger({ serviceName: 'loss-test', logLevel: 'SILENT' }),
      handler: async () => ({ batchItemFailures: [] }),
    });
    const stoppedAt = Date.now();
    await broker.stop();
    const error = await consumer.done.then(
      () => new Error('the consumer ended without an error'),
      (e: unknown) => e
    );
    expect(error).toBeInstanceOf(KafkaConsumeError);
    expect((error as KafkaConsumeError).reason).toBe('unreachable');
    expect((error as KafkaConsumeError).message).toBe(
      `Cannot reach the Kafka brokers ${broker.bootstrapServers} (ECONNREFUSED): check KAFKA_BROKERS or PORT_REGION, and that this network allows outbound TLS to port 9196`
    );
    // The client's own retries, not forever.
    expect(Date.now() - stoppedAt).toBeLessThan(30_000);
  } finally {
    await broker.stop();
  }
}, 90_000);
