import * as z from 'zod';
import { PortKafkaError } from '../../errors.js';
import { RunPatchSchema, RunTerminalStatusSchema } from '../../port/types.js';

/**
 * The run ledger: what this backend knows about each run it accepted, kept
 * where every container (and the sweeper) can see it, keyed by Port run id.
 *
 * Why not Powertools Idempotency: its record is INPROGRESS or COMPLETED, and an
 * INPROGRESS record whose in-progress expiry has passed is overwritten as if it
 * were new (its DynamoDB layer's put condition), so the function silently runs
 * again. Here an expired claim with no result means the backend died mid-run,
 * and the action's `onInterrupted` policy decides (the default is to report
 * FAILURE, not to run again). It also has no "stored but not delivered" state
 * (a result is either cached or not), deletes the record when the function
 * throws, and offers no way to list expired claims for a sweeper. So the ledger
 * is a few conditional writes of our own.
 *
 * Life of an entry: `claim` (conditional: no entry, or an expired claim without
 * a result) → `storeResult` (the final report, before it is sent) →
 * `markDelivered` (Port has it). `release` hands back a claim whose action never
 * started. See {@link entryState}.
 */

/** What happens to a run whose claimant died (the claim expired with no result). */
const InterruptPolicySchema = z.enum(['fail', 'rerun']);
type InterruptPolicy = z.infer<typeof InterruptPolicySchema>;

/** The last thing Port hears about a run: an optional final log line, then the status patch. */
const FinalReportSchema = z.object({
  runId: z.string(),
  log: z.string().optional(),
  /** The log line was sent by an earlier attempt: a re-report sends only the patch. */
  logSent: z.boolean().optional(),
  patch: RunPatchSchema.extend({ status: RunTerminalStatusSchema }),
});
type FinalReport = z.infer<typeof FinalReportSchema>;

/** One run as the ledger keeps it. Times are epoch milliseconds. */
const LedgerEntrySchema = z.object({
  runId: z.string(),
  /** Who holds (or last held) the claim: `<function>/<container id>`, or the sweeper. */
  owner: z.string(),
  action: z.string(),
  policy: InterruptPolicySchema,
  /** 1 for the first claim, +1 each time an expired claim is taken over. */
  attempt: z.number().int().min(1),
  claimedAt: z.number(),
  /** The claimant's deadline (plus a grace): past it with no result, the claimant died. */
  expiresAt: z.number(),
  /** Where the run's record was read, for the sweeper's and redrive's messages. */
  topic: z.string().optional(),
  partition: z.number().int().optional(),
  offset: z.number().int().optional(),
  /** Stored before it is sent; present means the run must never execute again. */
  report: FinalReportSchema.optional(),
  reportedAt: z.number().optional(),
  /** Port accepted the report (or showed the run had ended). */
  deliveredAt: z.number().optional(),
});
type LedgerEntry = z.infer<typeof LedgerEntrySchema>;

interface ClaimRequest {
  owner: string;
  /** When the claim lapses: the run's deadline, so past it the claimant can no longer be running it. */
  expiresAt: number;
  action: string;
  policy: InterruptPolicy;
  record?: { topic: string; partition: number; offset: number };
}

type ClaimOutcome =
  /** The caller holds the run now. `interrupted` is the expired claim it took over, if any. */
  | { claimed: true; entry: LedgerEntry; interrupted?: LedgerEntry }
  /** Someone holds it, or it has a result: see {@link entryState} of `entry`. */
  | { claimed: false; entry: LedgerEntry };

/**
 * - `running`: claimed, no result, claim not expired: leave it to its claimant;
 * - `expired`: claimed, no result, claim expired: the claimant died mid-run;
 * - `reported`: the final report is stored but Port has not confirmed it: send it again;
 * - `delivered`: done.
 */
type EntryState = 'running' | 'expired' | 'reported' | 'delivered';

const entryState = (entry: LedgerEntry, now: number): EntryState => {
  if (entry.deliveredAt !== undefined) return 'delivered';
  if (entry.report !== undefined) return 'reported';
  return entry.expiresAt <= now ? 'expired' : 'running';
};

interface RunLedger {
  /**
   * Claims a run for `request.owner`. Succeeds when the ledger has no entry for
   * it, or only an expired claim with no result (then `interrupted` is set).
   * Otherwise returns the entry as it stands.
   */
  claim(runId: string, request: ClaimRequest): Promise<ClaimOutcome>;
  /**
   * Stores the final report before it is sent. False when `owner` no longer
   * holds the claim (it expired and another attempt took the run over) or the
   * run was already delivered: then this report must not be sent.
   */
  storeResult(runId: string, owner: string, report: FinalReport): Promise<boolean>;
  /** Port accepted the report (or showed the run ended some other way). Idempotent. */
  markDelivered(runId: string): Promise<void>;
  /**
   * Gives back a claim whose action never started (Port was unreachable before
   * it could begin). A first claim is removed, so the retry starts afresh; a
   * taken-over claim is expired again, so the retry still knows the run was
   * interrupted once. Does nothing when `claim.owner` no longer holds it.
   */
  release(claim: LedgerEntry): Promise<void>;
  /** The entry as it stands (strongly consistent), or undefined. */
  get(runId: string): Promise<LedgerEntry | undefined>;
  /**
   * For the sweeper: claims without a result whose expiry is before `now`,
   * oldest first, at most `limit` (default 100). Taking one over with `claim`
   * removes it from later answers.
   */
  listExpired(now: number, limit?: number): Promise<LedgerEntry[]>;
}

/** The ledger could not be read or written. `retryable`: a later attempt may get through. */
class RunLedgerError extends PortKafkaError {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RunLedgerError';
    this.retryable = retryable;
  }
}

/** Ledger items live this long after the claim (DynamoDB TTL): well past Kafka redelivering the record. */
const LEDGER_RETENTION_DAYS = 30;

export type { ClaimOutcome, ClaimRequest, EntryState, FinalReport, InterruptPolicy, LedgerEntry, RunLedger };
export { entryState, FinalReportSchema, InterruptPolicySchema, LEDGER_RETENTION_DAYS, LedgerEntrySchema, RunLedgerError };
