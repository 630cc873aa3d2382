import * as z from 'zod';
import { UnknownActionPolicy } from '../config.js';
import { durationMs, HOUR, MINUTE } from '../durable/duration.js';
import { PortKafkaError } from '../errors.js';
import { BROKER_PATTERN, CONSUMER_GROUP_PATTERN, isPortConsumerGroup, portTopics } from '../port/kafka.js';
import { ORG_ID_EXAMPLE, orgIdSchema } from '../port/org.js';
import { PORT_REGION_LIST, PORT_REGION_NAMES, PORT_REGIONS } from '../port/regions.js';
import { issueLines } from '../validation.js';

/**
 * Deployment configuration of the stack.
 *
 * Every value is a CDK context key (cdk.json `context`, or `-c key=value`),
 * and can be overridden by an environment variable `PORT_KAFKA_<KEY>` in
 * upper snake case (`orgId` → `PORT_KAFKA_ORG_ID`). The environment wins
 * because cdk.json ships an example configuration that CI must be able to
 * replace without editing the file. Values from `-c` and the environment are
 * strings, so numbers, booleans and lists are coerced here.
 *
 * Validation runs before any construct is created; each problem becomes one
 * line naming the key, the value and what is expected.
 */

/** Lambda's hard cap for functions behind a Kafka event source mapping. */
const KAFKA_ESM_MAX_TIMEOUT_SECONDS = 14 * 60;

/** The retention values CloudWatch Logs accepts (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Keys that only mean something in provisioned mode. */
const PROVISIONED_ONLY = [
  'minimumPollers',
  'maximumPollers',
  'pollerGroupName',
  'retryAttempts',
  'maxRecordAgeSeconds',
  'bisectBatchOnError',
  'reportBatchItemFailures',
  'onFailureDestination',
  'onFailureBucket',
  'onFailureBucketRetentionDays',
  'esmMetrics',
  'esmLogLevel',
] as const;

/**
 * Each mapping needs its own consumer group: AWS requires the id to be
 * unique among all Kafka event sources (and it cannot change once the mapping
 * exists). Both derived ids keep Port's `<ORG_ID>.` prefix.
 */
const RUNS_GROUP_SUFFIX = '-runs';
const CHANGE_LOG_GROUP_SUFFIX = '-changes';

/** The keys, in the order docs/deploying.md documents them. */
const CONFIG_KEYS = [
  'stackName',
  'orgId',
  'portRegion',
  'portApiUrl',
  'brokers',
  'consumerGroupId',
  'runsConsumerGroupId',
  'changeLogConsumerGroupId',
  'kafkaUsername',
  'kafkaPasswordParameter',
  'consumeChangeLog',
  'kafkaEnabled',
  'kafkaSecretArn',
  'kafkaSecretName',
  'kafkaSecretKmsKeyArn',
  'portSecretArn',
  'portSecretName',
  'portSecretKmsKeyArn',
  'batchSize',
  'maxBatchingWindowSeconds',
  'startingPosition',
  'startingPositionTimestamp',
  'functionTimeoutSeconds',
  'memorySizeMb',
  'logRetentionDays',
  'logLevel',
  'unknownAction',
  'partitionConcurrency',
  'parkingQueue',
  'filterActions',
  'environment',
  'secretInputsKeyArn',
  'alarmEmail',
  'alarmTopicArn',
  'offsetLagThreshold',
  'dashboard',
  'tracing',
  'sweeper',
  'sweeperIntervalMinutes',
  'staleRunMaxAgeMinutes',
  'rerunGraceMinutes',
  'durableExecutionTimeout',
  'durableRetentionDays',
  'provisioned',
  ...PROVISIONED_ONLY,
] as const;
type ConfigKey = (typeof CONFIG_KEYS)[number];

// ---------------------------------------------------------------------------
// Coercion helpers: accept JSON types from cdk.json and strings from -c / env.

const trimmed = (v: unknown): unknown => (typeof v === 'string' ? v.trim() : v);

/** `undefined` for absent or empty values, so "unset" is uniform. */
const blankToUndefined = (v: unknown): unknown => {
  const t = trimmed(v);
  return t === '' || t === null ? undefined : t;
};

const bool = () =>
  z.preprocess(
    (v) => {
      const t = blankToUndefined(v);
      if (t === 'true') return true;
      if (t === 'false') return false;
      return t;
    },
    z.boolean({ error: (i) => `${JSON.stringify(i.input)} is not a boolean; expected true or false` })
  );

const int = (min: number, max: number, what: string) => {
  const error = (i: { input?: unknown }): string => `${JSON.stringify(i.input)} is out of range; expected ${what}`;
  return z.preprocess(
    (v) => {
      const t = blankToUndefined(v);
      return typeof t === 'string' && /^-?\d+$/.test(t) ? Number(t) : t;
    },
    z
      .number({ error: (i) => `${JSON.stringify(i.input)} is not a number; expected ${what}` })
      .int({ error })
      .min(min, { error })
      .max(max, { error })
  );
};

const list = z.preprocess(
  (v) => {
    const t = blankToUndefined(v);
    if (typeof t !== 'string') return t;
    if (t.startsWith('[')) {
      try {
        return JSON.parse(t) as unknown;
      } catch {
        return t;
      }
    }
    return t
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  },
  z.array(z.string(), { error: 'expected a list (JSON array or comma-separated)' })
);

const optionalString = z.preprocess(blankToUndefined, z.string().optional());

// ---------------------------------------------------------------------------
// Field schemas.

/** A complete secret ARN (with the 6-character suffix), so IAM can be exact. */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:key\/[A-Za-z0-9-]+$/;
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$/;
/** Secrets Manager name characters. */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
/** CloudFormation stack name rules. */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

const secretArn = (key: string) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(SECRET_ARN, {
        error: (issue) =>
          `${JSON.stringify(issue.input)} is not a complete Secrets Manager secret ARN; expected arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (or set ${key.replace('Arn', 'Name')} to import by name)`,
      })
      .optional()
  );

const kmsKeyArn = z.preprocess(
  blankToUndefined,
  z
    .string()
    .regex(KMS_KEY_ARN, {
      error: (issue) => `${JSON.stringify(issue.input)} is not a KMS key ARN; expected arn:aws:kms:<region>:<account>:key/<key id>`,
    })
    .optional()
);

const secretName = z.preprocess(
  blankToUndefined,
  z
    .string()
    .regex(SECRET_NAME, {
      error: (issue) => `${JSON.stringify(issue.input)} is not a Secrets Manager secret name; expected 1-512 of A-Z a-z 0-9 / _ + = . @ -`,
    })
    .optional()
);

const CONSUMER_GROUP_EXPECTED = 'expected 1-200 of a-z A-Z 0-9 - / * : _ + = . @';

const optionalConsumerGroup = z.preprocess(
  blankToUndefined,
  z
    .string()
    .regex(CONSUMER_GROUP_PATTERN, {
      error: (i) => `${JSON.stringify(i.input)} is not a valid consumer group id; ${CONSUMER_GROUP_EXPECTED}`,
    })
    .optional()
);

const RawConfig = z.object({
  stackName: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(STACK_NAME, {
        error: (i) => `${JSON.stringify(i.input)} is not a CloudFormation stack name; expected a letter then letters, digits or hyphens`,
      })
      .default('PortKafkaConsumer')
  ),
  orgId: z.preprocess(
    blankToUndefined,
    orgIdSchema({
      required: { error: `is required; expected your Port organization id, e.g. ${ORG_ID_EXAMPLE}` },
      invalid: {
        error: (i) =>
          `${JSON.stringify(i.input)} is not a Port organization id; expected org_ followed by letters and digits, e.g. ${ORG_ID_EXAMPLE}`,
      },
    })
  ),
  portRegion: z.preprocess(
    blankToUndefined,
    z.enum(PORT_REGION_NAMES, {
      error: (i) =>
        i.input === undefined
          ? `is required; expected ${PORT_REGION_LIST} (the region of your Port account)`
          : `${JSON.stringify(i.input)} is not a Port region; expected ${PORT_REGION_LIST}`,
    })
  ),
  portApiUrl: z.preprocess(
    blankToUndefined,
    z
      .url({
        protocol: /^https$/,
        error: (i) => `${JSON.stringify(i.input)} is not an https URL; expected e.g. ${PORT_REGIONS.eu.apiUrl}`,
      })
      .optional()
  ),
  brokers: list
    .pipe(
      z
        .array(
          z.string().regex(BROKER_PATTERN, {
            error: (i) => `${JSON.stringify(i.input)} is not host:port; expected e.g. ${PORT_REGIONS.eu.brokers[0]}`,
          })
        )
        .min(1, { error: "is empty; expected 1 to 10 brokers (or leave unset to use Port's brokers for portRegion)" })
        .max(10, { error: 'has more than 10 brokers; Lambda accepts 1 to 10' })
    )
    .optional(),
  consumerGroupId: z.preprocess(
    blankToUndefined,
    z
      .string({ error: 'is required; expected the consumer group id Port gave you (<ORG_ID>.<name> or your Kafka username)' })
      .regex(CONSUMER_GROUP_PATTERN, {
        error: (i) => `${JSON.stringify(i.input)} is not a valid consumer group id; expected 1-200 of a-z A-Z 0-9 - / * : _ + = . @`,
      })
  ),
  runsConsumerGroupId: optionalConsumerGroup,
  changeLogConsumerGroupId: optionalConsumerGroup,
  kafkaUsername: optionalString,
  kafkaPasswordParameter: bool().default(false),
  consumeChangeLog: bool().default(false),
  kafkaEnabled: bool().optional(),
  kafkaSecretArn: secretArn('kafkaSecretArn'),
  kafkaSecretName: secretName,
  kafkaSecretKmsKeyArn: kmsKeyArn,
  portSecretArn: secretArn('portSecretArn'),
  portSecretName: secretName,
  portSecretKmsKeyArn: kmsKeyArn,
  batchSize: int(1, 10_000, 'an integer from 1 to 10000 (the Kafka event source maximum)').default(50),
  maxBatchingWindowSeconds: int(0, 300, 'an integer from 0 to 300 seconds').optional(),
  startingPosition: z.preprocess(
    blankToUndefined,
    z
      .enum(['LATEST', 'TRIM_HORIZON', 'AT_TIMESTAMP'], {
        error: (i) => `${JSON.stringify(i.input)} is not a starting position; expected LATEST, TRIM_HORIZON or AT_TIMESTAMP`,
      })
      .default('LATEST')
  ),
  startingPositionTimestamp: int(0, 32_503_680_000, 'a Unix time in seconds').optional(),
  // At least a minute: the handler stops starting runs 20 s before its
  // deadline (RUN_START_MIN_REMAINING_MS), so shorter timeouts leave no room.
  functionTimeoutSeconds: int(
    60,
    KAFKA_ESM_MAX_TIMEOUT_SECONDS,
    `an integer from 60 to ${KAFKA_ESM_MAX_TIMEOUT_SECONDS} seconds (Kafka event sources allow at most 14 minutes)`
  ).default(300),
  memorySizeMb: int(128, 10_240, 'an integer from 128 to 10240 MB').default(512),
  logRetentionDays: z
    .preprocess(
      (v) => {
        const t = blankToUndefined(v);
        return typeof t === 'string' && /^\d+$/.test(t) ? Number(t) : t;
      },
      z.number().refine((n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n), {
        error: (i) => `${JSON.stringify(i.input)} is not a CloudWatch Logs retention; expected one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
    )
    .default(30),
  logLevel: z.preprocess(
    blankToUndefined,
    z
      .enum(['DEBUG', 'INFO', 'WARN', 'ERROR'], {
        error: (i) => `${JSON.stringify(i.input)} is not a log level; expected DEBUG, INFO, WARN or ERROR`,
      })
      .default('INFO')
  ),
  unknownAction: z.preprocess(
    blankToUndefined,
    z
      .enum([UnknownActionPolicy.Skip, UnknownActionPolicy.Fail], {
        error: (i) => `${JSON.stringify(i.input)} is not an unknown-action mode; expected skip or fail`,
      })
      .default(UnknownActionPolicy.Skip)
  ),
  partitionConcurrency: int(1, 1000, 'an integer from 1 to 1000').default(8),
  parkingQueue: bool().default(true),
  filterActions: bool().default(false),
  environment: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, {
        error: (i) => `${JSON.stringify(i.input)} is not an environment name; expected 1-64 letters, digits, _ . : -`,
      })
      .optional()
  ),
  secretInputsKeyArn: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(SECRET_ARN, {
        error: (i) => `${JSON.stringify(i.input)} is not a complete Secrets Manager secret ARN (with its 6-character suffix)`,
      })
      .optional()
  ),
  alarmEmail: z.preprocess(blankToUndefined, z.email({ error: (i) => `${JSON.stringify(i.input)} is not an email address` }).optional()),
  alarmTopicArn: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(SNS_TOPIC_ARN, {
        error: (i) => `${JSON.stringify(i.input)} is not an SNS topic ARN; expected arn:aws:sns:<region>:<account>:<topic>`,
      })
      .optional()
  ),
  offsetLagThreshold: int(1, 1_000_000_000, 'a positive integer (records)').default(100),
  dashboard: bool().default(true),
  tracing: bool().default(false),
  sweeper: bool().default(true),
  sweeperIntervalMinutes: int(1, 1440, 'an integer from 1 to 1440 minutes').default(5),
  // 0 turns the stale-run sweep off; otherwise longer than the function can run (checked below).
  staleRunMaxAgeMinutes: int(0, 10_080, 'an integer from 0 (off) to 10080 minutes').default(60),
  rerunGraceMinutes: int(0, 10_080, 'an integer from 0 to 10080 minutes').default(30),
  // The run executor of durable actions (created only when the app has one): how long an
  // execution may last (every durable run's time limit ends before it) and how long its history stays.
  durableExecutionTimeout: z.preprocess(
    blankToUndefined,
    z
      .string({ error: (i) => `${JSON.stringify(i.input)} is not a duration; expected text such as "24h" or "7d"` })
      .default('24h')
      .transform((text, ctx) => {
        const error = `${JSON.stringify(text)} is not a duration from 15m to 366d; expected text such as "24h" or "7d"`;
        let ms: number;
        try {
          ms = durationMs(text);
        } catch {
          ctx.addIssue({ code: 'custom', message: error });
          return z.NEVER;
        }
        if (ms < 15 * MINUTE || ms > 366 * 24 * HOUR) {
          ctx.addIssue({ code: 'custom', message: error });
          return z.NEVER;
        }
        return Math.round(ms / 1000);
      })
  ),
  durableRetentionDays: int(1, 90, 'an integer from 1 to 90 days').default(14),
  provisioned: bool().default(false),
  minimumPollers: int(1, 200, 'an integer from 1 to 200').optional(),
  maximumPollers: int(1, 2000, 'an integer from 1 to 2000').optional(),
  pollerGroupName: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/, {
        error: (i) => `${JSON.stringify(i.input)} is not a poller group name; expected 1-128 of A-Z a-z 0-9 _ -`,
      })
      .optional()
  ),
  retryAttempts: int(-1, 10_000, 'an integer from -1 (infinite) to 10000').optional(),
  maxRecordAgeSeconds: int(-1, 604_800, 'an integer from 60 to 604800 seconds, or -1 (infinite)')
    .refine((n) => n === -1 || n >= 60, {
      error: 'expected an integer from 60 to 604800 seconds, or -1 (infinite)',
    })
    .optional(),
  bisectBatchOnError: bool().optional(),
  reportBatchItemFailures: bool().optional(),
  onFailureDestination: bool().optional(),
  onFailureBucket: bool().optional(),
  onFailureBucketRetentionDays: int(1, 3650, 'an integer from 1 to 3650 days').optional(),
  esmMetrics: bool().optional(),
  esmLogLevel: z.preprocess(
    blankToUndefined,
    z
      .enum(['INFO', 'DEBUG', 'WARN'], {
        error: (i) => `${JSON.stringify(i.input)} is not an event source mapping log level; expected INFO, DEBUG or WARN`,
      })
      .optional()
  ),
});
type RawConfig = z.output<typeof RawConfig>;

// ---------------------------------------------------------------------------
// The validated configuration the stack consumes.

type SecretSource =
  | { kind: 'arn'; arn: string; kmsKeyArn?: string }
  | { kind: 'name'; name: string; kmsKeyArn?: string }
  | { kind: 'create' };

/** The configuration is invalid; `lines` has one entry per problem. */
class DeployConfigError extends PortKafkaError {
  readonly lines: readonly string[];
  constructor(lines: readonly string[], options?: ErrorOptions) {
    super(`Invalid deployment configuration:\n${lines.map((l) => `  - ${l}`).join('\n')}`, options);
    this.name = 'DeployConfigError';
    this.lines = lines;
  }
}

/** Reads context values; `app.node.tryGetContext` fits this. */
type ContextReader = (key: string) => unknown;

const envName = (key: string): string => `PORT_KAFKA_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;

/** Gathers raw values: the environment over context. */
function collect(context: ContextReader, env: NodeJS.ProcessEnv): Record<ConfigKey, unknown> {
  const raw = {} as Record<ConfigKey, unknown>;
  for (const key of CONFIG_KEYS) {
    const fromEnv = env[envName(key)];
    raw[key] = fromEnv !== undefined && fromEnv !== '' ? fromEnv : context(key);
  }
  return raw;
}

/**
 * The consumer group of each mapping: the explicit id, else the configured one
 * with the mapping's suffix. A configured group that is the Kafka username
 * (Port's other accepted form) cannot take a suffix: the runs mapping uses it
 * as it is, and a change.log mapping needs changeLogConsumerGroupId.
 */
const consumerGroupsOf = (c: Pick<RawConfig, 'consumerGroupId' | 'runsConsumerGroupId' | 'changeLogConsumerGroupId' | 'kafkaUsername'>) => {
  const isUsername = c.kafkaUsername !== undefined && c.consumerGroupId === c.kafkaUsername;
  return {
    runs: c.runsConsumerGroupId ?? (isUsername ? c.consumerGroupId : `${c.consumerGroupId}${RUNS_GROUP_SUFFIX}`),
    changeLog: c.changeLogConsumerGroupId ?? `${c.consumerGroupId}${CHANGE_LOG_GROUP_SUFFIX}`,
  };
};

/** Each mapping's group: unique, valid for Lambda, and one Port lets the org's user join. */
function consumerGroupProblems(c: RawConfig): [ConfigKey, string][] {
  const problems: [ConfigKey, string][] = [];
  const portRule = `expected ${c.orgId}.<name> or the Kafka username (set kafkaUsername to use the username)`;
  const baseAccepted = isPortConsumerGroup(c.consumerGroupId, c.orgId, c.kafkaUsername);
  if (!baseAccepted) {
    problems.push(['consumerGroupId', `${JSON.stringify(c.consumerGroupId)} is not accepted by Port; ${portRule}`]);
  }
  const groups = consumerGroupsOf(c);
  const mappings: { name: string; key: ConfigKey; id: string; explicit: boolean }[] = [
    { name: 'runs', key: 'runsConsumerGroupId', id: groups.runs, explicit: c.runsConsumerGroupId !== undefined },
  ];
  if (c.consumeChangeLog) {
    mappings.push({
      name: 'change.log',
      key: 'changeLogConsumerGroupId',
      id: groups.changeLog,
      explicit: c.changeLogConsumerGroupId !== undefined,
    });
  }
  for (const m of mappings) {
    if (m.explicit) {
      // Its own pattern check ran with the key; only Port's rule is left.
      if (!isPortConsumerGroup(m.id, c.orgId, c.kafkaUsername)) {
        problems.push([m.key, `${JSON.stringify(m.id)} is not accepted by Port; ${portRule}`]);
      }
    } else if (baseAccepted) {
      if (!CONSUMER_GROUP_PATTERN.test(m.id)) {
        problems.push([
          'consumerGroupId',
          `gives the ${m.name} mapping the group ${JSON.stringify(m.id)}, which is not a valid consumer group id (${CONSUMER_GROUP_EXPECTED}); shorten consumerGroupId or set ${m.key}`,
        ]);
      } else if (!isPortConsumerGroup(m.id, c.orgId, c.kafkaUsername)) {
        problems.push([
          'consumerGroupId',
          `is the Kafka username, so the ${m.name} mapping cannot have a group derived from it (${JSON.stringify(m.id)} is not accepted by Port); set ${m.key} to ${c.orgId}.<name>`,
        ]);
      }
    }
  }
  if (c.consumeChangeLog && groups.runs === groups.changeLog) {
    problems.push([
      c.changeLogConsumerGroupId !== undefined ? 'changeLogConsumerGroupId' : 'runsConsumerGroupId',
      `${JSON.stringify(groups.runs)} is the group of both mappings; AWS requires each Kafka event source mapping to have its own`,
    ]);
  }
  if (!c.consumeChangeLog && c.changeLogConsumerGroupId !== undefined) {
    problems.push(['changeLogConsumerGroupId', 'is only used with consumeChangeLog=true']);
  }
  return problems;
}

/**
 * Rules that relate several keys, as `[key, problem]`. Zod runs them only
 * when every key parsed, so a bad value is reported once, by its own rule.
 */
function crossCheck(c: RawConfig): [ConfigKey, string][] {
  const problems: [ConfigKey, string][] = consumerGroupProblems(c);
  if (c.kafkaPasswordParameter) {
    if (c.kafkaUsername === undefined) {
      problems.push([
        'kafkaUsername',
        'is required with kafkaPasswordParameter=true; expected the Kafka username Port gave you (it goes into the secret)',
      ]);
    }
    if (c.kafkaSecretArn !== undefined || c.kafkaSecretName !== undefined) {
      problems.push([
        'kafkaPasswordParameter',
        'set together with an imported Kafka secret; the stack creates the secret from the KafkaPassword parameter, so set neither kafkaSecretArn nor kafkaSecretName',
      ]);
    }
  }
  for (const which of ['kafka', 'port'] as const) {
    if (c[`${which}SecretArn`] !== undefined && c[`${which}SecretName`] !== undefined) {
      problems.push([`${which}SecretArn`, `set together with ${which}SecretName; expected only one of them`]);
    }
    if (c[`${which}SecretKmsKeyArn`] !== undefined && c[`${which}SecretArn`] === undefined && c[`${which}SecretName`] === undefined) {
      problems.push([
        `${which}SecretKmsKeyArn`,
        `set for a secret the stack creates; expected it only with ${which}SecretArn or ${which}SecretName (created secrets use the AWS managed key)`,
      ]);
    }
  }
  if (c.startingPosition === 'AT_TIMESTAMP' && c.startingPositionTimestamp === undefined) {
    problems.push(['startingPositionTimestamp', 'is required when startingPosition is AT_TIMESTAMP; expected a Unix time in seconds']);
  }
  if (c.startingPosition !== 'AT_TIMESTAMP' && c.startingPositionTimestamp !== undefined) {
    problems.push(['startingPositionTimestamp', `is only used with startingPosition AT_TIMESTAMP, not ${c.startingPosition}`]);
  }
  if (c.staleRunMaxAgeMinutes > 0 && c.staleRunMaxAgeMinutes * 60 <= c.functionTimeoutSeconds) {
    // A run that old could still be executing: the sweeper would end a live run.
    problems.push([
      'staleRunMaxAgeMinutes',
      `${c.staleRunMaxAgeMinutes} minutes is not longer than functionTimeoutSeconds (${c.functionTimeoutSeconds}); expected 0 (off) or more than ${Math.floor(c.functionTimeoutSeconds / 60)} minutes`,
    ]);
  }
  if (!c.provisioned) {
    // Provisioned-only keys have no defaults, so "set" is "not undefined" (blank values parse to undefined).
    for (const key of PROVISIONED_ONLY) {
      if (c[key] !== undefined) {
        problems.push([key, 'needs provisioned=true; AWS offers this for Kafka event sources only in provisioned mode']);
      }
    }
  } else {
    const min = c.minimumPollers ?? 1;
    const max = c.maximumPollers ?? 5;
    if (min > max) {
      problems.push(['minimumPollers', `${min} is greater than maximumPollers (${max}); expected minimumPollers <= maximumPollers`]);
    }
    if (c.onFailureBucket === true && c.onFailureDestination === false) {
      problems.push(['onFailureBucket', 'is the on-failure destination, but onFailureDestination is false; expected one of them']);
    }
    if (c.onFailureBucketRetentionDays !== undefined && c.onFailureBucket !== true) {
      problems.push(['onFailureBucketRetentionDays', 'is only used with onFailureBucket=true']);
    }
  }
  return problems;
}

function secretSource(arn: string | undefined, name: string | undefined, kmsKeyArn: string | undefined): SecretSource {
  const kms = kmsKeyArn === undefined ? {} : { kmsKeyArn };
  if (arn !== undefined) return { kind: 'arn', arn, ...kms };
  if (name !== undefined) return { kind: 'name', name, ...kms };
  return { kind: 'create' };
}

/** Provisioned mode's settings with AWS's defaults filled in; absent in the default (on-demand) mode. */
const provisionedConfig = (c: RawConfig) =>
  c.provisioned
    ? {
        minimumPollers: c.minimumPollers ?? 1,
        maximumPollers: c.maximumPollers ?? 5,
        ...(c.pollerGroupName === undefined ? {} : { pollerGroupName: c.pollerGroupName }),
        retryAttempts: c.retryAttempts ?? 5,
        ...(c.maxRecordAgeSeconds === undefined ? {} : { maxRecordAgeSeconds: c.maxRecordAgeSeconds }),
        bisectBatchOnError: c.bisectBatchOnError ?? true,
        reportBatchItemFailures: c.reportBatchItemFailures ?? true,
        onFailureDestination: c.onFailureDestination ?? true,
        /** The on-failure destination is an S3 bucket (records kept) instead of the FailedBatches queue (metadata only). */
        ...(c.onFailureBucket === true ? { onFailureBucket: { retentionDays: c.onFailureBucketRetentionDays ?? 30 } } : {}),
        /** The mappings publish AWS's event, error and Kafka metrics (MaxOffsetLag, PollingErrorCount…). */
        esmMetrics: c.esmMetrics ?? true,
        /** The mappings' own (poller) logs, into the function's log group. */
        esmLogLevel: c.esmLogLevel ?? 'WARN',
      }
    : undefined;

/**
 * The stack's configuration: the raw keys validated, related keys checked,
 * then shaped for the constructs (topics, secret sources, Port's brokers).
 * {@link DeployConfig} is this schema's output, so a key's type is written once.
 */
const DeployConfigSchema = RawConfig.superRefine((c, ctx) => {
  for (const [key, message] of crossCheck(c)) ctx.addIssue({ code: 'custom', path: [key], message });
}).transform((c) => {
  const kafkaSecret = secretSource(c.kafkaSecretArn, c.kafkaSecretName, c.kafkaSecretKmsKeyArn);
  const topics = portTopics(c.orgId);
  const provisioned = provisionedConfig(c);
  return {
    stackName: c.stackName,
    orgId: c.orgId,
    portRegion: c.portRegion,
    ...(c.portApiUrl === undefined ? {} : { portApiUrl: c.portApiUrl }),
    brokers: c.brokers ?? [...PORT_REGIONS[c.portRegion].brokers],
    consumerGroupId: c.consumerGroupId,
    /** One group per mapping (see consumerGroupsOf). */
    consumerGroups: (() => {
      const groups = consumerGroupsOf(c);
      return { runs: groups.runs, ...(c.consumeChangeLog ? { changeLog: groups.changeLog } : {}) };
    })(),
    topics: {
      runs: topics.runs,
      ...(c.consumeChangeLog ? { changeLog: topics.changeLog } : {}),
    },
    /**
     * Whether the mappings poll. A secret the stack creates holds a placeholder
     * until someone fills it in; polling with it would only produce
     * authentication failures, so it is false until then.
     */
    kafkaEnabled: c.kafkaEnabled ?? (kafkaSecret.kind !== 'create' || c.kafkaPasswordParameter),
    kafkaSecret,
    /**
     * The stack creates the Kafka secret from the kafkaUsername setting and a
     * NoEcho CloudFormation parameter KafkaPassword, which refuses the characters
     * the mapping cannot log in with (the value never enters the template).
     */
    ...(c.kafkaPasswordParameter && c.kafkaUsername !== undefined ? { kafkaPasswordParameter: { username: c.kafkaUsername } } : {}),
    portSecret: secretSource(c.portSecretArn, c.portSecretName, c.portSecretKmsKeyArn),
    batchSize: c.batchSize,
    ...(c.maxBatchingWindowSeconds === undefined ? {} : { maxBatchingWindowSeconds: c.maxBatchingWindowSeconds }),
    startingPosition: c.startingPosition,
    ...(c.startingPositionTimestamp === undefined ? {} : { startingPositionTimestamp: c.startingPositionTimestamp }),
    functionTimeoutSeconds: c.functionTimeoutSeconds,
    memorySizeMb: c.memorySizeMb,
    logRetentionDays: c.logRetentionDays,
    logLevel: c.logLevel,
    unknownAction: c.unknownAction,
    partitionConcurrency: c.partitionConcurrency,
    parkingQueue: c.parkingQueue,
    filterActions: c.filterActions,
    /** Several backends on one org topic: this stack's runs carry `"environment": <this>`. */
    ...(c.environment === undefined ? {} : { environment: c.environment }),
    ...(c.secretInputsKeyArn === undefined ? {} : { secretInputsKeyArn: c.secretInputsKeyArn }),
    ...(c.alarmEmail === undefined ? {} : { alarmEmail: c.alarmEmail }),
    ...(c.alarmTopicArn === undefined ? {} : { alarmTopicArn: c.alarmTopicArn }),
    offsetLagThreshold: c.offsetLagThreshold,
    /** A CloudWatch dashboard of runs, lag, parked records and errors. */
    dashboard: c.dashboard,
    /** X-Ray active tracing and Powertools Tracer in the handler. */
    tracing: c.tracing,
    /** The scheduled function that ends interrupted and stale runs; absent when turned off. */
    ...(c.sweeper
      ? {
          sweeper: {
            intervalMinutes: c.sweeperIntervalMinutes,
            staleRunMaxAgeMinutes: c.staleRunMaxAgeMinutes,
            rerunGraceMinutes: c.rerunGraceMinutes,
          },
        }
      : {}),
    /** The run executor of durable actions, when the app has one (docs/long-running-actions.md). */
    durable: { executionTimeoutSeconds: c.durableExecutionTimeout, retentionDays: c.durableRetentionDays },
    /** Absent in the default (on-demand) mode. */
    ...(provisioned === undefined ? {} : { provisioned }),
  };
});
type DeployConfig = z.output<typeof DeployConfigSchema>;
type ProvisionedConfig = NonNullable<ReturnType<typeof provisionedConfig>>;

/**
 * Validates the configuration.
 * @throws DeployConfigError listing every problem found.
 */
function loadDeployConfig(context: ContextReader, env: NodeJS.ProcessEnv = process.env): DeployConfig {
  const parsed = DeployConfigSchema.safeParse(collect(context, env));
  if (!parsed.success) throw new DeployConfigError(issueLines(parsed.error), { cause: parsed.error });
  return parsed.data;
}

export type { ConfigKey, ContextReader, DeployConfig, ProvisionedConfig, SecretSource };
export {
  CHANGE_LOG_GROUP_SUFFIX,
  CONFIG_KEYS,
  DeployConfigError,
  envName,
  KAFKA_ESM_MAX_TIMEOUT_SECONDS,
  loadDeployConfig,
  RUNS_GROUP_SUFFIX,
};
