/**
 * Cuts a stream of records into batches the way a Lambda event source mapping
 * does: a batch closes when it holds `maxRecords`, when the next record would
 * take it past `maxBytes`, or when `windowMs` has passed since its first record.
 */

interface BatchLimits<T> {
  maxRecords: number;
  /** 0: hand over whatever has already arrived, without waiting. */
  windowMs: number;
  maxBytes: number;
  sizeOf: (item: T) => number;
}

type Next<T> = Promise<IteratorResult<T>>;

const WINDOW_CLOSED = Symbol('window closed');

/**
 * Yields batches from `source` until it ends or `signal` aborts. The pending
 * read that a closing window interrupts is kept for the next batch, so no
 * record is dropped or reordered; nothing is read while the caller works on a
 * batch (the client's own buffer absorbs what arrives meanwhile).
 *
 * A single record larger than `maxBytes` still makes a batch of one: holding it
 * back would stall its partition forever.
 */
async function* batches<T>(source: AsyncIterable<T>, limits: BatchLimits<T>, signal?: AbortSignal): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]();
  let pending: Next<T> | undefined;
  let carry: { item: T; bytes: number } | undefined;
  const read = (): Next<T> => (pending ??= iterator.next());
  const aborted = new Promise<typeof WINDOW_CLOSED>((resolve) => {
    if (signal?.aborted) resolve(WINDOW_CLOSED);
    signal?.addEventListener('abort', () => resolve(WINDOW_CLOSED), { once: true });
  });
  // Already stopped: hand over nothing (an available record would otherwise win the race below).
  // Read through a call: a direct check would narrow `signal.aborted` for the check after the yield.
  const stopped = (): boolean => signal?.aborted === true;
  if (stopped()) return;

  for (;;) {
    const batch: T[] = [];
    let bytes = 0;
    if (carry !== undefined) {
      batch.push(carry.item);
      bytes = carry.bytes;
      carry = undefined;
    } else {
      const first = await Promise.race([read(), aborted]);
      if (first === WINDOW_CLOSED) return;
      pending = undefined;
      if (first.done === true) return;
      batch.push(first.value);
      bytes = limits.sizeOf(first.value);
    }

    let timer: NodeJS.Timeout | undefined;
    const windowClosed = new Promise<typeof WINDOW_CLOSED>((resolve) => {
      timer = setTimeout(() => resolve(WINDOW_CLOSED), limits.windowMs);
    });
    let ended = false;
    try {
      while (batch.length < limits.maxRecords) {
        const next = await Promise.race([read(), windowClosed, aborted]);
        if (next === WINDOW_CLOSED) break;
        pending = undefined;
        if (next.done === true) {
          ended = true;
          break;
        }
        const size = limits.sizeOf(next.value);
        if (bytes + size > limits.maxBytes) {
          carry = { item: next.value, bytes: size };
          break;
        }
        batch.push(next.value);
        bytes += size;
      }
    } finally {
      clearTimeout(timer);
    }
    yield batch;
    // After an abort a carried record is dropped unread-as-far-as-Kafka-knows:
    // its offset was never committed, so it is delivered again.
    if (ended || signal?.aborted === true) return;
  }
}

export type { BatchLimits };
export { batches };
