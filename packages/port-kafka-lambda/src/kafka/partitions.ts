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
const offsetOf = (record: unknown): number => Number((record as { offset?: unknown } | null)?.offset ?? Number.NaN);

const topicPartition = (record: unknown): string => {
  const r = record as { topic?: unknown; partition?: unknown } | null;
  return `${typeof r?.topic === 'string' ? r.topic : 'unknown'}-${Number(r?.partition ?? -1)}`;
};

/** True when every record of a list has the topic and partition of its first record. */
const samePartition = (list: readonly unknown[]): boolean => {
  const first = list[0] as { topic?: unknown; partition?: unknown } | undefined;
  for (let i = 1; i < list.length; i++) {
    const r = list[i] as { topic?: unknown; partition?: unknown } | null;
    if (r?.topic !== first?.topic || r?.partition !== first?.partition) return false;
  }
  return true;
};

const inOffsetOrder = (group: unknown[]): unknown[] => {
  // Lambda delivers each partition in offset order, so sorting is usually a
  // no-op; check first. The sort is stable, and an unreadable offset (NaN)
  // compares as equal, so it stays where Lambda put it.
  for (let i = 1; i < group.length; i++) {
    if (offsetOf(group[i - 1]) > offsetOf(group[i])) return [...group].sort((a, b) => offsetOf(a) - offsetOf(b) || 0);
  }
  return group;
};

const partitionsOf = (records: Record<string, unknown[]>): PartitionBatch[] => {
  const lists = Object.values(records).filter((l) => l.length > 0);
  // Fast path, the shape Lambda sends: each list holds one partition, and no
  // partition appears under two keys.
  if (lists.every(samePartition)) {
    const keys = lists.map((l) => topicPartition(l[0]));
    if (new Set(keys).size === keys.length) {
      return lists.map((l, i) => ({ key: keys[i] as string, records: inOffsetOrder(l) }));
    }
  }
  const groups = new Map<string, unknown[]>();
  for (const list of lists) {
    for (const record of list) {
      const key = topicPartition(record);
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      group.push(record);
    }
  }
  return [...groups].map(([key, group]) => ({ key, records: inOffsetOrder(group) }));
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
