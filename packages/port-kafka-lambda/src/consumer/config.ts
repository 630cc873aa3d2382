import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as z from 'zod';
import { PortKafkaError } from '../errors.js';
import { BROKER_PATTERN, CONSUMER_GROUP_PATTERN, isPortConsumerGroup, portTopics } from '../port/kafka.js';
import { ORG_ID_EXAMPLE, orgIdSchema } from '../port/org.js';
import { PORT_REGION_LIST, PORT_REGION_NAMES, PORT_REGIONS } from '../port/regions.js';
import { issueLines } from '../validation.js';

/** A bad consumer setting; the message has one line per problem and never a secret's value. */
class ConsumerConfigError extends PortKafkaError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConsumerConfigError';
  }
}

/** Lambda's cap on a Kafka event source mapping invocation payload. */
const MAX_BATCH_BYTES = 6 * 1024 * 1024;

/**
 * The consumer's own settings, read from the environment (what a container
 * gets). The handler's settings (PORT_API_URL, PORT_CLIENT_ID, UNKNOWN_ACTION…)
 * are read by the handler's own config, exactly as in Lambda.
 */
const ConsumerEnv = z.object({
  PORT_ORG_ID: orgIdSchema({
    required: { error: 'is required; expected your Port org id (org_…)' },
    invalid: { error: `is not a Port org id; expected e.g. ${ORG_ID_EXAMPLE}` },
  }),
  PORT_REGION: z.enum(PORT_REGION_NAMES, { error: `expected ${PORT_REGION_LIST}` }).default('eu'),
  KAFKA_BROKERS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    )
    .pipe(
      z
        .array(z.string().regex(BROKER_PATTERN, { error: (i) => `${JSON.stringify(i.input)} is not host:port` }))
        .min(1, { error: 'is empty; expected host:port[,host:port…]' })
    )
    .optional(),
  KAFKA_USERNAME: z.string({ error: 'is required; expected the Kafka username Port gave you' }),
  KAFKA_PASSWORD: z.string({ error: 'is required; expected the Kafka password Port gave you' }),
  KAFKA_CONSUMER_GROUP: z
    .string({ error: 'is required; expected the consumer group id Port gave you (<ORG_ID>.<name> or your username)' })
    .regex(CONSUMER_GROUP_PATTERN, { error: 'expected 1-200 of a-z A-Z 0-9 - / * : _ + = . @' }),
  KAFKA_CA_FILE: z.string().optional(),
  KAFKA_CONSUME_CHANGE_LOG: z.enum(['true', 'false'], { error: 'expected true or false' }).default('false'),
  KAFKA_BATCH_SIZE: z.coerce.number({ error: 'expected an integer' }).int().min(1).max(10_000).default(50),
  KAFKA_BATCH_WINDOW_MS: z.coerce.number({ error: 'expected an integer' }).int().min(0).max(300_000).default(500),
  KAFKA_STARTING_POSITION: z.enum(['LATEST', 'TRIM_HORIZON'], { error: 'expected LATEST or TRIM_HORIZON' }).default('LATEST'),
  /** Each batch gets this budget, like the function timeout (the handler's deadline logic reads it). */
  BATCH_TIMEOUT_SECONDS: z.coerce.number({ error: 'expected an integer' }).int().min(30).max(3600).default(300),
  CONSUMER_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, { error: 'expected 1-100 of A-Z a-z 0-9 . _ -' })
    .optional(),
  /** On SIGTERM, how long to wait for durable runs still executing in this process before ending them by their onInterrupted policy. */
  DURABLE_DRAIN_SECONDS: z.coerce.number({ error: 'expected an integer' }).int().min(0).max(3600).default(25),
  /** Durable runs in this process wait this fraction of their waits (development; the time limit still counts them in full). */
  DURABLE_WAIT_SCALE: z.coerce
    .number({ error: 'expected a number' })
    .gt(0, { error: 'expected a factor above 0 and at most 1' })
    .max(1, { error: 'expected a factor above 0 and at most 1' })
    .optional(),
});

/**
 * Hides the password, as is and JSON-escaped, in a message that quotes a value:
 * it may have been pasted into the wrong variable too.
 */
const redactor =
  (password: string | undefined) =>
  (text: string): string =>
    password === undefined
      ? text
      : text.replaceAll(password, '<KAFKA_PASSWORD>').replaceAll(JSON.stringify(password).slice(1, -1), '<KAFKA_PASSWORD>');

/**
 * The consumer's configuration: the environment under the names the code uses,
 * with Port's brokers and the org's topics filled in. {@link ConsumerConfig} is
 * this schema's output, so each setting's type is the one it is validated with.
 */
const ConsumerConfigSchema = ConsumerEnv.transform((e) => {
  const topics = portTopics(e.PORT_ORG_ID);
  return {
    orgId: e.PORT_ORG_ID,
    brokers: e.KAFKA_BROKERS ?? [...PORT_REGIONS[e.PORT_REGION].brokers],
    username: e.KAFKA_USERNAME,
    /** Never logged; errors name the user, not the password. */
    password: e.KAFKA_PASSWORD,
    groupId: e.KAFKA_CONSUMER_GROUP,
    ...(e.KAFKA_CA_FILE === undefined ? {} : { caFile: e.KAFKA_CA_FILE }),
    topics: e.KAFKA_CONSUME_CHANGE_LOG === 'true' ? [topics.runs, topics.changeLog] : [topics.runs],
    batchSize: e.KAFKA_BATCH_SIZE,
    batchWindowMs: e.KAFKA_BATCH_WINDOW_MS,
    maxBatchBytes: MAX_BATCH_BYTES,
    startingPosition: e.KAFKA_STARTING_POSITION,
    batchTimeoutMs: e.BATCH_TIMEOUT_SECONDS * 1000,
    durableDrainMs: e.DURABLE_DRAIN_SECONDS * 1000,
    ...(e.DURABLE_WAIT_SCALE === undefined ? {} : { durableWaitScale: e.DURABLE_WAIT_SCALE }),
    /** Client id, and the "function" name in the run's "Picked up by" log. */
    name:
      e.CONSUMER_NAME ??
      `port-kafka-consumer-${hostname()
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .slice(0, 60)}`,
  };
});
type ConsumerConfig = z.output<typeof ConsumerConfigSchema>;

/** Each problem on its own line, naming the variable; values only for non-secret ones. */
const loadConsumerConfig = (env: NodeJS.ProcessEnv = process.env): ConsumerConfig => {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const redact = redactor(present.KAFKA_PASSWORD);
  const parsed = ConsumerConfigSchema.safeParse(present);
  if (!parsed.success) {
    const lines = issueLines(parsed.error).map(redact);
    // The zod error quotes the same values: keep it only when it holds no password.
    const leaks = parsed.error.issues.some((issue) => redact(issue.message) !== issue.message);
    throw new ConsumerConfigError(`Invalid consumer configuration:\n${lines.join('\n')}`, leaks ? undefined : { cause: parsed.error });
  }
  const config = parsed.data;
  if (!isPortConsumerGroup(config.groupId, config.orgId, config.username)) {
    throw new ConsumerConfigError(
      `Invalid consumer configuration:\nKAFKA_CONSUMER_GROUP: ${redact(`"${config.groupId}"`)} is not a group Port lets you use; expected ${config.orgId}.<name> or your Kafka username`
    );
  }
  if (config.caFile !== undefined) {
    // Checked here so a typo is a configuration line (exit 2), not a TLS failure later.
    let pem = '';
    try {
      pem = readFileSync(config.caFile, 'utf8');
    } catch (error) {
      throw new ConsumerConfigError(
        `Invalid consumer configuration:\nKAFKA_CA_FILE: cannot read ${config.caFile} (${(error as NodeJS.ErrnoException).code ?? 'error'}); expected a PEM file with the brokers' CA certificate`,
        { cause: error }
      );
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new ConsumerConfigError(
        `Invalid consumer configuration:\nKAFKA_CA_FILE: ${config.caFile} holds no PEM certificate; expected -----BEGIN CERTIFICATE-----`
      );
    }
  }
  return config;
};

export type { ConsumerConfig };
export { ConsumerConfigError, loadConsumerConfig, MAX_BATCH_BYTES };
