import type { ClaimOutcome, ClaimRequest, FinalReport, LedgerEntry, RunLedger } from './ledger.js';
import { RunLedgerError } from './ledger.js';

/**
 * A ledger built on first use. The DynamoDB client is tens of milliseconds of
 * module loading, which a cold start that only reads change events or skips
 * other backends' runs should not pay. A failed creation is not kept: the next
 * call tries again.
 */
class LazyRunLedger implements RunLedger {
  #ledger: Promise<RunLedger> | undefined;
  constructor(private readonly create: () => Promise<RunLedger>) {}

  async #get(): Promise<RunLedger> {
    const pending = (this.#ledger ??= this.create());
    try {
      return await pending;
    } catch (error) {
      if (this.#ledger === pending) this.#ledger = undefined;
      throw error instanceof RunLedgerError
        ? error
        : new RunLedgerError(`Could not set up the run ledger: ${error instanceof Error ? error.message : String(error)}`, true, {
            cause: error,
          });
    }
  }

  async claim(runId: string, request: ClaimRequest): Promise<ClaimOutcome> {
    return (await this.#get()).claim(runId, request);
  }
  async storeResult(runId: string, owner: string, report: FinalReport): Promise<boolean> {
    return (await this.#get()).storeResult(runId, owner, report);
  }
  async markDelivered(runId: string): Promise<void> {
    return (await this.#get()).markDelivered(runId);
  }
  async release(claim: LedgerEntry): Promise<void> {
    return (await this.#get()).release(claim);
  }
  async get(runId: string): Promise<LedgerEntry | undefined> {
    return (await this.#get()).get(runId);
  }
  async listExpired(now: number, limit?: number): Promise<LedgerEntry[]> {
    return (await this.#get()).listExpired(now, limit);
  }
}

export { LazyRunLedger };
