import { describe, expect, it } from '@jest/globals';
import { figures, runChaos, violations } from './driver.js';

describe('chaos: 500 runs, Port failing 30% of calls, containers SIGKILLed mid-batch', () => {
  it('ends every run in Port exactly once, and never executes a run of a non-rerun action twice', async () => {
    // Act: the seed fixes the plan (actions, failing runs, kill points); timings still vary, so only invariants are asserted.
    const result = await runChaos({ runs: 500, partitions: 5, faultRate: 0.3, seed: 12, kills: 8, timeLimitMs: 150_000 });
    process.stdout.write(`${figures(result).join('\n')}\n`);

    // Assess
    expect(violations(result)).toEqual([]);
    expect(result.fates.filter((f) => f.status !== 'SUCCESS' && f.status !== 'FAILURE')).toEqual([]);
    expect(result.fates.every((f) => f.endings === 1)).toBe(true);
    expect(result.succeeded + result.failed).toBe(500);
    // The runs told to fail ended FAILURE with the action's own reason, or as interrupted.
    for (const f of result.fates.filter((x) => x.failing)) expect(f.status).toBe('FAILURE');
    // The chaos happened: containers died mid-batch and records came again, Port failed about 30% of calls.
    expect(result.kills).toBeGreaterThanOrEqual(3);
    expect(result.redeliveries).toBeGreaterThan(0);
    expect(result.faults.total / result.portRequests).toBeGreaterThan(0.25);
    expect(result.faults.total / result.portRequests).toBeLessThan(0.35);
    expect(result.faults.droppedAfterHandling).toBeGreaterThan(0);
    // No record was parked: every failure here is one a retry gets past.
    expect(Object.keys(result.outcomeReasons).filter((k) => k.startsWith('invalid:') || k === 'failed:run-not-ended')).toEqual([]);
  }, 180_000);
});
