import { coordinatesOf } from './decode.js';

/** The records of one topic-partition, in offset order. */
interface PartitionBatch {
  /** Lambda's `"<topic>-<partition>"` key, also used for partial batch responses. */
  key: string;
  records: unknown[];
}

/**
 * Groups an event's records by partition. Lambda already keys `records` by
 * `"<topic>-<partition>"`, but a hand-made or replayed event may repeat a
 * partition under several keys, so the grouping is rebuilt from each record's
 * own topic and partition and then sorted by offset.
 */
const partitionsOf = (records: Record<string, unknown[]>): PartitionBatch[] => {
  const groups = new Map<string, { offset: number; record: unknown }[]>();
  for (const list of Object.values(records)) {
    for (const record of list) {
      const c = coordinatesOf(record);
      const key = `${c.topic}-${c.partition}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      group.push({ offset: c.offset, record });
    }
  }
  return [...groups].map(([key, group]) => ({
    key,
    // Stable sort: records Lambda sent in order stay in order even if an
    // offset is unreadable (NaN compares as equal).
    records: group.sort((a, b) => a.offset - b.offset || 0).map((g) => g.record),
  }));
};

/**
 * Runs `work` for every partition, at most `concurrency` partitions at a time.
 * Within a partition `work` itself goes record by record, so a slow partition
 * holds only its own slot and never reorders another partition.
 */
const forEachPartition = async <T>(
  partitions: readonly PartitionBatch[],
  concurrency: number,
  work: (partition: PartitionBatch) => Promise<T>
): Promise<T[]> => {
  const results: T[] = new Array<T>(partitions.length);
  let next = 0;
  const worker = async () => {
    while (next < partitions.length) {
      const index = next++;
      const partition = partitions[index];
      if (partition) results[index] = await work(partition);
    }
  };
  const lanes = Math.max(1, Math.min(concurrency, partitions.length));
  await Promise.all(Array.from({ length: lanes }, worker));
  return results;
};

export type { PartitionBatch };
export { forEachPartition, partitionsOf };
