import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ensureKafkaJars, type KafkaJars } from '../kafka-broker/kafka-jars.js';
import { KAFKA_CACHE_DIR } from '../kafka-broker/paths.js';

/**
 * A real SQS-compatible server for the tests: ElasticMQ (Maven Central
 * org.elasticmq:elasticmq-server_2.13), started as a Java process on 127.0.0.1
 * at a port the OS picks. It speaks the SQS JSON protocol of the AWS SDK v3,
 * so the code under test uses its real SQS client against it.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
const POM_PATH = resolve(HERE, 'pom.xml');
/** Beside the Kafka broker's jars, in the ignored cache folder. */
const LIB_DIR = resolve(KAFKA_CACHE_DIR, 'elasticmq-lib');
const MAIN_CLASS = 'org.elasticmq.server.Main';
/** The line ElasticMQ logs once its SQS endpoint listens, with the address it bound. */
const READY = /Started SQS rest server, bind address 127\.0\.0\.1:(\d+)/;

/** Copies ElasticMQ's jars into .kafka/elasticmq-lib once (the Kafka broker's fetcher, another pom). */
const ensureElasticMqJars = (options: { log?: (message: string) => void } = {}): Promise<KafkaJars> =>
  ensureKafkaJars({ libDir: LIB_DIR, pomPath: POM_PATH, what: 'ElasticMQ', ...(options.log ? { log: options.log } : {}) });

/** Dummy credentials: ElasticMQ accepts any signature. */
const CREDENTIALS = { accessKeyId: 'AKIDLOCALSQS', secretAccessKey: 'local-sqs-secret' };
const REGION = 'elasticmq';

interface ElasticMq {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  region: string;
  credentials: typeof CREDENTIALS;
  client: SQSClient;
  /** Creates a queue and returns its URL. */
  createQueue(name: string): Promise<string>;
  stop(): Promise<void>;
}

const startElasticMq = async (options: { startTimeoutMs?: number } = {}): Promise<ElasticMq> => {
  await ensureElasticMqJars();
  const dir = await mkdtemp(join(tmpdir(), 'elasticmq-'));
  const config = join(dir, 'elasticmq.conf');
  // Port 0 and a generated node address: queue URLs carry the port the OS picked.
  await writeFile(
    config,
    [
      'include classpath("application.conf")',
      'rest-sqs { enabled = true, bind-port = 0, bind-hostname = "127.0.0.1", sqs-limits = strict }',
      'rest-stats { enabled = false }',
      'generate-node-address = true',
      'pekko.loglevel = "WARNING"',
      '',
    ].join('\n')
  );
  const child: ChildProcess = spawn('java', ['-Xmx256m', `-Dconfig.file=${config}`, '-cp', `${LIB_DIR}/*`, MAIN_CLASS], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`ElasticMQ did not start in time:\n${output.slice(-2000)}`)),
      options.startTimeoutMs ?? 60_000
    );
    const watch = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = READY.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    };
    child.stdout?.on('data', watch);
    child.stderr?.on('data', watch);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ElasticMQ exited with ${code}:\n${output.slice(-2000)}`));
    });
  });
  // Keep draining its output so a full pipe never blocks it.
  child.stdout?.resume();
  child.stderr?.resume();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new SQSClient({ endpoint, region: REGION, credentials: CREDENTIALS });
  return {
    endpoint,
    region: REGION,
    credentials: CREDENTIALS,
    client,
    async createQueue(name) {
      const out = await client.send(new CreateQueueCommand({ QueueName: name }));
      if (out.QueueUrl === undefined) throw new Error(`ElasticMQ returned no URL for queue ${name}`);
      return out.QueueUrl;
    },
    async stop() {
      client.destroy();
      if (child.exitCode === null) {
        const exited = new Promise<void>((done) => child.once('exit', () => done()));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
};

export type { ElasticMq };
export { ensureElasticMqJars, startElasticMq };
