import { describe, expect, it } from '@jest/globals';
import { LazyParker } from '../../src/parking/lazy.js';
import { MemoryParker, type ParkedRecord } from '../../src/parking/parker.js';

const record = (offset: number): ParkedRecord => ({ topic: 'org_a.runs', partition: 0, offset, reason: 'not-json', detail: '' });

describe('LazyParker', () => {
  it('creates the real parker once, on the first record, and parks through it', async () => {
    // Prepare
    const inner = new MemoryParker();
    let created = 0;
    const parker = new LazyParker(async () => {
      created++;
      return inner;
    });
    expect(created).toBe(0);
    // Act
    await Promise.all([parker.park(record(1)), parker.park(record(2))]);
    await parker.park(record(3));
    // Assess
    expect(created).toBe(1);
    expect(inner.records.map((r) => r.offset)).toEqual([1, 2, 3]);
  });

  it('tries again after a failed creation instead of keeping the failure', async () => {
    const inner = new MemoryParker();
    let attempts = 0;
    const parker = new LazyParker(async () => {
      attempts++;
      if (attempts === 1) throw new Error('SDK failed to load');
      return inner;
    });
    await expect(parker.park(record(1))).rejects.toThrow('SDK failed to load');
    await parker.park(record(2));
    expect(attempts).toBe(2);
    expect(inner.records.map((r) => r.offset)).toEqual([2]);
  });
});
