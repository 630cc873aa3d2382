import * as z from 'zod';
import { ConfigError } from './errors.js';
import { OrgId } from './port/org.js';
import { PORT_REGION_NAMES } from './port/regions.js';
import { issueLines } from './validation.js';

/** How an action run whose identifier has no registered handler is treated. */
const UnknownActionPolicy = { Skip: 'skip', Fail: 'fail' } as const;
type UnknownActionPolicy = (typeof UnknownActionPolicy)[keyof typeof UnknownActionPolicy];

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);

/**
 * The handler's environment, validated once per container. Names match what
 * the CDK stack sets (see infra/) and what `npm run invoke` sets locally.
 */
const HandlerEnv = z.object({
  PORT_ORG_ID: OrgId.optional(),
  PORT_REGION: z.enum(PORT_REGION_NAMES).default('eu'),
  PORT_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  PORT_CREDENTIALS_SECRET_ARN: z.string().optional(),
  /** Secrets Manager secret holding the RSA private key of client-side encrypted secret inputs (read on first use). */
  PORT_SECRET_INPUTS_PRIVATE_KEY_ARN: z.string().optional(),
  /** Several backends on one org topic: this one takes only runs whose payload's `environment` equals this. */
  BACKEND_ENVIRONMENT: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected an environment name (1-64 letters, digits, _ . : -)')
    .optional(),
  PARK_QUEUE_URL: z.url().optional(),
  /** DynamoDB table of the run ledger (the stack creates it); unset, claims live in this process only. */
  RUN_LEDGER_TABLE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'expected a DynamoDB table name (3-255 letters, digits, _ . -)')
    .optional(),
  /** The run executor of durable actions, qualified (alias ARN): the stack sets it when the app has a durable action. */
  DURABLE_EXECUTOR_FUNCTION: z
    .string()
    .regex(
      /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}:[A-Za-z0-9$_-]{1,128}$/,
      'expected a qualified function name or ARN (<function>:<alias or version>)'
    )
    .optional(),
  /** The run executor's execution timeout (its durableConfig): durable runs' time limits end before it. */
  DURABLE_EXECUTION_TIMEOUT_SECONDS: positiveInt(31_622_400).default(86_400),
  REPORT_BATCH_ITEM_FAILURES: booleanFlag.default(false),
  UNKNOWN_ACTION: z.enum([UnknownActionPolicy.Skip, UnknownActionPolicy.Fail]).default(UnknownActionPolicy.Skip),
  PARTITION_CONCURRENCY: positiveInt(1000).default(8),
  /** Do not start a run when less than this is left before the Lambda deadline. */
  RUN_START_MIN_REMAINING_MS: positiveInt(840_000).default(20_000),
  /** Report a still-running run as timed out this long before the deadline. */
  RUN_DEADLINE_MARGIN_MS: positiveInt(840_000).default(5_000),
});

/**
 * The handler's configuration: the environment under the names the code uses.
 * {@link HandlerConfig} is this schema's output, so each setting's type is the
 * one its variable is validated with. An unset optional setting is `undefined`.
 */
const HandlerConfigSchema = HandlerEnv.transform((e) => ({
  orgId: e.PORT_ORG_ID,
  region: e.PORT_REGION,
  apiUrl: e.PORT_API_URL,
  credentialsSecretArn: e.PORT_CREDENTIALS_SECRET_ARN,
  secretInputsPrivateKeyArn: e.PORT_SECRET_INPUTS_PRIVATE_KEY_ARN,
  backendEnvironment: e.BACKEND_ENVIRONMENT,
  parkQueueUrl: e.PARK_QUEUE_URL,
  runLedgerTable: e.RUN_LEDGER_TABLE,
  durableExecutorFunction: e.DURABLE_EXECUTOR_FUNCTION,
  durableExecutionTimeoutMs: e.DURABLE_EXECUTION_TIMEOUT_SECONDS * 1000,
  reportBatchItemFailures: e.REPORT_BATCH_ITEM_FAILURES,
  unknownAction: e.UNKNOWN_ACTION,
  partitionConcurrency: e.PARTITION_CONCURRENCY,
  runStartMinRemainingMs: e.RUN_START_MIN_REMAINING_MS,
  runDeadlineMarginMs: e.RUN_DEADLINE_MARGIN_MS,
}));
type HandlerConfig = z.output<typeof HandlerConfigSchema>;

/**
 * Reads and validates the handler's configuration. Each bad value produces one
 * line naming the variable and what was expected (never the value itself, in
 * case a secret was pasted into the wrong variable).
 */
const loadConfig = (env: NodeJS.ProcessEnv = process.env): HandlerConfig => {
  // Empty strings are how CloudFormation and shells spell "unset".
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = HandlerConfigSchema.safeParse(present);
  if (!parsed.success) {
    const lines = issueLines(parsed.error, { root: 'environment' });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
};

export type { HandlerConfig };
export { loadConfig, UnknownActionPolicy };
