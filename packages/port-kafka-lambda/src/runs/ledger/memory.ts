import type { ClaimOutcome, ClaimRequest, FinalReport, LedgerEntry, RunLedger } from './ledger.js';

/**
 * A ledger in this process's memory, for local invoke, tests, and a consumer
 * without RUN_LEDGER_TABLE. It has the DynamoDB ledger's semantics but lasts only
 * as long as the process: two containers do not share it. Entries are copied in
 * and out so callers cannot change what is stored.
 */
class MemoryRunLedger implements RunLedger {
  readonly #entries = new Map<string, LedgerEntry>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async claim(runId: string, request: ClaimRequest): Promise<ClaimOutcome> {
    const old = this.#entries.get(runId);
    const claimable = old === undefined || (old.report === undefined && old.expiresAt < this.#now());
    if (!claimable) return { claimed: false, entry: structuredClone(old) };
    const entry: LedgerEntry = {
      runId,
      owner: request.owner,
      action: request.action,
      policy: request.policy,
      attempt: (old?.attempt ?? 0) + 1,
      claimedAt: this.#now(),
      expiresAt: request.expiresAt,
      ...(request.record ?? {}),
    };
    this.#entries.set(runId, entry);
    return old === undefined
      ? { claimed: true, entry: structuredClone(entry) }
      : { claimed: true, entry: structuredClone(entry), interrupted: structuredClone(old) };
  }

  async storeResult(runId: string, owner: string, report: FinalReport): Promise<boolean> {
    const entry = this.#entries.get(runId);
    if (entry === undefined || entry.owner !== owner || entry.deliveredAt !== undefined) return false;
    entry.report = structuredClone(report);
    entry.reportedAt = this.#now();
    return true;
  }

  async markDelivered(runId: string): Promise<void> {
    const entry = this.#entries.get(runId);
    if (entry !== undefined) entry.deliveredAt ??= this.#now();
  }

  async release(claim: LedgerEntry): Promise<void> {
    const entry = this.#entries.get(claim.runId);
    if (entry === undefined || entry.owner !== claim.owner || entry.report !== undefined) return;
    if (entry.attempt === 1) this.#entries.delete(claim.runId);
    else entry.expiresAt = 0;
  }

  async get(runId: string): Promise<LedgerEntry | undefined> {
    const entry = this.#entries.get(runId);
    return entry === undefined ? undefined : structuredClone(entry);
  }

  async listExpired(now: number, limit = 100): Promise<LedgerEntry[]> {
    return [...this.#entries.values()]
      .filter((e) => e.report === undefined && e.deliveredAt === undefined && e.expiresAt < now)
      .sort((a, b) => a.expiresAt - b.expiresAt)
      .slice(0, limit)
      .map((e) => structuredClone(e));
  }
}

export { MemoryRunLedger };
