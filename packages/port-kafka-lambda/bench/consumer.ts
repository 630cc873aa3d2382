// The long-lived consumer's figures for `npm run bench`: what building the
// Lambda event costs per record, and end-to-end records per second from a real
// broker (SASL_SSL, SCRAM-SHA-512) through the handler with Port stubbed out.
import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { loadConsumerConfig } from '../src/consumer/config.js';
import { startConsumer } from '../src/consumer/consumer.js';
import { type ConsumedRecord, estimateEventBytes, toLambdaKafkaEvent } from '../src/consumer/lambda-event.js';
import { loadEvent, ORG_ID } from '../src/testing/factories.js';
import { createProducer, createTopics, startKafkaBroker } from '../test/kafka-broker/index.js';
import { routingHandler } from './routing.js';

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const runValue = (i: number): Buffer => {
  const template = loadEvent<{ context: { runId: string } }>('v1-run-create-vm.json');
  template.context.runId = `r_cbench${i.toString().padStart(8, '0')}`;
  return Buffer.from(JSON.stringify(template));
};

const eventBuilding = () => {
  const records: ConsumedRecord[] = Array.from({ length: 10_000 }, (_, i) => ({
    topic: `${ORG_ID}.runs`,
    partition: i % 10,
    offset: BigInt(Math.floor(i / 10)),
    timestamp: 1_764_000_000_000n,
    key: null,
    value: runValue(i),
    headers: [['traceparent', Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')]],
  }));
  for (let i = 0; i < 3; i++) toLambdaKafkaEvent(records, { bootstrapServers: 'b:9196' });
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    for (const r of records) estimateEventBytes(r);
    toLambdaKafkaEvent(records, { bootstrapServers: 'b:9196' });
    best = Math.min(best, performance.now() - start);
  }
  console.log(
    `event building (size estimate + Lambda record, 10,000 records of ~${records[0]?.value?.length ?? 0} B): ${fmt((best * 1000) / records.length, 2)} µs/record`
  );
};

const endToEnd = async () => {
  const user = { username: `${ORG_ID}-bench`, password: randomBytes(12).toString('hex'), orgId: ORG_ID };
  const broker = await startKafkaBroker({ users: [user] });
  try {
    const topic = `${ORG_ID}.runs`;
    const total = 20_000;
    await createTopics(broker, [{ topic, numPartitions: 3 }]);
    const producer = createProducer(broker);
    await producer.connect();
    for (let i = 0; i < total; i += 1000) {
      await producer.send({
        topic,
        messages: Array.from({ length: 1000 }, (_, j) => ({ partition: (i + j) % 3, value: runValue(i + j) })),
      });
    }
    await producer.disconnect();
    console.log(`broker start ${fmt(broker.startupMs)} ms; ${fmt(total)} run messages on 3 partitions`);
    console.log('batch size | window ms | records/s | batches');
    for (const [batchSize, windowMs] of [
      [50, 500],
      [500, 500],
    ] as const) {
      let handled = 0;
      let batches = 0;
      const handler = routingHandler(() => (handled += 1));
      const started = performance.now();
      let finished = 0;
      const consumer = await startConsumer({
        config: loadConsumerConfig({
          PORT_ORG_ID: ORG_ID,
          KAFKA_BROKERS: broker.bootstrapServers,
          KAFKA_USERNAME: user.username,
          KAFKA_PASSWORD: user.password,
          KAFKA_CONSUMER_GROUP: `${ORG_ID}.bench-${batchSize}`,
          KAFKA_CA_FILE: broker.caPath,
          KAFKA_STARTING_POSITION: 'TRIM_HORIZON',
          KAFKA_BATCH_SIZE: String(batchSize),
          KAFKA_BATCH_WINDOW_MS: String(windowMs),
        }),
        logger: new Logger({ serviceName: 'bench', logLevel: 'WARN' }),
        handler: async (event, context) => {
          batches += 1;
          const result = await handler(event, context);
          if (handled >= total && finished === 0) finished = performance.now();
          return result;
        },
      });
      while (finished === 0) await new Promise((r) => setTimeout(r, 20));
      await consumer.stop();
      console.log(
        `${String(batchSize).padStart(10)} | ${String(windowMs).padStart(9)} | ${fmt(total / ((finished - started) / 1000)).padStart(9)} | ${batches}`
      );
    }
  } finally {
    await broker.stop();
  }
};

const benchConsumer = async (): Promise<void> => {
  eventBuilding();
  try {
    await endToEnd();
  } catch (error) {
    console.log(`end-to-end skipped: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
};

export { benchConsumer };
