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

describe('forEachPartition', () => {
  it('never runs more partitions at once than the bound, and a slow one does not hold the others', async () => {
    // Prepare
    const partitions = Array.from({ length: 6 }, (_, i) => ({ key: `t-${i}`, records: [i] }));
    let running = 0;
    let peak = 0;
    const finished: string[] = [];
    // Act
    await forEachPartition(partitions, 2, async (p) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, p.key === 't-0' ? 60 : 5));
      running--;
      finished.push(p.key);
    });
    // Assess
    expect(peak).toBe(2);
    expect(finished.at(-1)).toBe('t-0');
    expect(finished).toHaveLength(6);
  });

  it('returns results in partition order', async () => {
    const partitions = [3, 1, 2].map((n) => ({ key: `p${n}`, records: [] }));
    const results = await forEachPartition(partitions, 3, async (p) => {
      await new Promise((r) => setTimeout(r, Number(p.key.slice(1)) * 5));
      return p.key;
    });
    expect(results).toEqual(['p3', 'p1', 'p2']);
  });
});
