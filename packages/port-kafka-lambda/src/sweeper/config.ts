import * as z from 'zod';
import { ConfigError } from '../errors.js';
import { PORT_REGION_NAMES } from '../port/regions.js';
import { issueLines } from '../validation.js';

const minutes = (max: number) => z.coerce.number().int().min(0).max(max);

/**
 * The sweeper function's environment (the stack sets it; names shared with the
 * consumer function where they mean the same thing). Port credentials are read
 * as the handler reads them: PORT_CREDENTIALS_SECRET_ARN, or PORT_CLIENT_ID and
 * PORT_CLIENT_SECRET.
 */
const SweeperEnv = z.object({
  RUN_LEDGER_TABLE: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'expected a DynamoDB table name (3-255 letters, digits, _ . -)'),
  PORT_REGION: z.enum(PORT_REGION_NAMES).default('eu'),
  PORT_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Comma-separated identifiers of the app's actions and automations: whose runs the stale-run sweep lists. */
  SWEEP_ACTIONS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    )
    .default([]),
  /** A run IN_PROGRESS in Port this long that this backend never started is ended; 0 turns that sweep off. */
  STALE_RUN_MAX_AGE_MINUTES: minutes(7 * 24 * 60).default(60),
  /** A lapsed claim of an `onInterrupted: 'rerun'` action waits this long for a redelivery before it is ended. */
  RERUN_GRACE_MINUTES: minutes(7 * 24 * 60).default(30),
  BACKEND_ENVIRONMENT: z.string().min(1).optional(),
});

const SweeperConfigSchema = SweeperEnv.transform((e) => ({
  runLedgerTable: e.RUN_LEDGER_TABLE,
  region: e.PORT_REGION,
  apiUrl: e.PORT_API_URL,
  actions: e.SWEEP_ACTIONS,
  staleRunMaxAgeMs: e.STALE_RUN_MAX_AGE_MINUTES * 60_000,
  rerunGraceMs: e.RERUN_GRACE_MINUTES * 60_000,
  environment: e.BACKEND_ENVIRONMENT,
}));
type SweeperConfig = z.output<typeof SweeperConfigSchema>;

/** Reads the sweeper's configuration; one line per bad variable, never its value. */
const loadSweeperConfig = (env: NodeJS.ProcessEnv = process.env): SweeperConfig => {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = SweeperConfigSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(`Invalid sweeper configuration:\n${issueLines(parsed.error, { root: 'environment' }).join('\n')}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
};

export type { SweeperConfig };
export { loadSweeperConfig };
