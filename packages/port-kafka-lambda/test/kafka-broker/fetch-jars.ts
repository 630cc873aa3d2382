// CI entry point: pre-fetch the Kafka broker's and ElasticMQ's jars so test runs never download.
// Usage (from the repo root): npx tsx packages/port-kafka-lambda/test/kafka-broker/fetch-jars.ts
import { ensureElasticMqJars } from '../sqs-server/elasticmq.js';
import { ensureKafkaJars } from './kafka-jars.js';

const jars = await ensureKafkaJars({ log: (message) => console.log(message) });
console.log(
  `Kafka jars ${jars.downloaded ? 'downloaded' : 'already cached'} in ${jars.libDir}: ` +
    `${jars.jarCount} jars, ${(jars.totalBytes / 1024 / 1024).toFixed(1)} MiB, ${jars.durationMs} ms`
);

const sqs = await ensureElasticMqJars({ log: (message) => console.log(message) });
console.log(
  `ElasticMQ jars ${sqs.downloaded ? 'downloaded' : 'already cached'} in ${sqs.libDir}: ` +
    `${sqs.jarCount} jars, ${(sqs.totalBytes / 1024 / 1024).toFixed(1)} MiB, ${sqs.durationMs} ms`
);
