/**
 * Where the handler "parks" records it could not process (not base64, UTF-8
 * or JSON; no schema fits; a change handler threw), so that nothing is lost
 * even though the batch goes on and Kafka commits the offset. Action runs are
 * not parked: their failures are reported to Port as the run's FAILURE.
 */
interface ParkedRecord {
  /** Kafka coordinates of the record. */
  topic: string;
  partition: number;
  offset: number;
  timestamp?: number;
  /** Machine-readable reason, e.g. `not-json`, `schema`, `unknown-action`. */
  reason: string;
  /** Human-readable detail; never contains the record's content. */
  detail: string;
  /** Run id when one could be read from the record. */
  runId?: string;
  /** The record's original base64 key and value, as Lambda delivered them. */
  key?: string | null;
  value?: string | null;
}

interface Parker {
  park(record: ParkedRecord): Promise<void>;
}

/** Keeps parked records in memory: the default when no queue is configured. */
class MemoryParker implements Parker {
  readonly records: ParkedRecord[] = [];
  async park(record: ParkedRecord): Promise<void> {
    this.records.push(record);
  }
}

export type { ParkedRecord, Parker };
export { MemoryParker };
