import { describe, expect, it } from '@jest/globals';
import { forEachPartition, partitionsOf } from '../../../src/kafka/partitions.js';
import { kafkaEvent, kafkaRecord } from '../../../src/testing/factories.js';

const offsets = (records: unknown[]) => records.map((r) => (r as { offset: number }).offset);

describe('partitionsOf', () => {
  it('groups by each record’s own topic and partition and sorts by offset', () => {
    // Prepare: a topic name with dashes, and records out of order under a wrong key.
    const event = kafkaEvent([
      kafkaRecord({ topic: 'org_a-b.runs', partition: 1, offset: 9, value: {} }),
      kafkaRecord({ topic: 'org_a-b.runs', partition: 1, offset: 3, value: {} }),
      kafkaRecord({ topic: 'org_a-b.runs', partition: 0, offset: 5, value: {} }),
    ]);
    event.records['bogus-key'] = [kafkaRecord({ topic: 'org_a-b.runs', partition: 1, offset: 6, value: {} })];
    // Act
    const partitions = partitionsOf(event.records);
    // Assess
    const byKey = Object.fromEntries(partitions.map((p) => [p.key, offsets(p.records)]));
    expect(byKey).toEqual({ 'org_a-b.runs-1': [3, 6, 9], 'org_a-b.runs-0': [5] });
  });
});

/** A promise the test opens when it chooses: work waits on it instead of on a timer. */
const gate = () => {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
};

/**
 * Resolves once every pending promise callback has run (setImmediate fires only after the
 * microtask queue is empty). The work below awaits nothing but gates, so at that point it has
 * gone as far as the open gates let it: a check for what has NOT started is then meaningful.
 */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('forEachPartition', () => {
  it('never runs more partitions at once than the bound, and a slow one does not hold the others', async () => {
    // Prepare: every partition waits for its own gate; t-0 is the slow one, opened last.
    const partitions = Array.from({ length: 6 }, (_, i) => ({ key: `t-${i}`, records: [i] }));
    const gates = new Map(partitions.map((p) => [p.key, gate()]));
    const open = (key: string) => gates.get(key)?.open();
    const started: string[] = [];
    const finished: string[] = [];
    let running = 0;
    let peak = 0;
    // Act
    const all = forEachPartition(partitions, 2, async (p) => {
      started.push(p.key);
      running++;
      peak = Math.max(peak, running);
      await gates.get(p.key)?.opened;
      running--;
      finished.push(p.key);
    });
    await settle();
    // Assess: both lanes taken, the third partition waits for one of them.
    expect(started).toEqual(['t-0', 't-1']);
    // t-0 keeps its lane; the other lane takes the next partition each time one ends.
    for (let i = 1; i <= 5; i++) {
      open(`t-${i}`);
      await settle();
      expect(finished).toEqual(partitions.slice(1, i + 1).map((p) => p.key));
      expect(started).toEqual(partitions.slice(0, Math.min(i + 2, 6)).map((p) => p.key));
    }
    expect(running).toBe(1); // only t-0, still held at its gate
    open('t-0');
    await all;
    expect(finished).toEqual(['t-1', 't-2', 't-3', 't-4', 't-5', 't-0']);
    expect(peak).toBe(2);
  });

  it('returns results in partition order', async () => {
    // Prepare: three lanes, and the partitions end in the opposite order to the list.
    const partitions = [3, 1, 2].map((n) => ({ key: `p${n}`, records: [] }));
    const gates = new Map(partitions.map((p) => [p.key, gate()]));
    const finished: string[] = [];
    // Act
    const all = forEachPartition(partitions, 3, async (p) => {
      await gates.get(p.key)?.opened;
      finished.push(p.key);
      return p.key;
    });
    for (const key of ['p2', 'p1', 'p3']) {
      gates.get(key)?.open();
      await settle();
    }
    const results = await all;
    // Assess
    expect(finished).toEqual(['p2', 'p1', 'p3']);
    expect(results).toEqual(['p3', 'p1', 'p2']);
  });
});
