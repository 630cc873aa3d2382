import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it } from '@jest/globals';
import { boundedReason, ConsumerMetrics, MAX_DURATION_SAMPLES } from '../../../src/telemetry/metrics.js';
import { MetricName } from '../../../src/telemetry/names.js';
import { captureLogs } from '../../../src/testing/logs.js';

/** A seeded generator (mulberry32), so the sample is the same on every run. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const lines = (logs: ReturnType<typeof captureLogs>) => logs.entries().filter((e) => '_aws' in e);

describe('ConsumerMetrics', () => {
  let logs: ReturnType<typeof captureLogs> | undefined;
  afterEach(() => logs?.restore());

  it('keeps a large batch to one line per group: every run counted, a uniform sample of at most 99 durations', () => {
    // Prepare
    const metrics = new ConsumerMetrics({ metrics: new Metrics({ namespace: 'Test', serviceName: 'svc' }), random: seeded(14) });
    const durations = Array.from({ length: 10_000 }, (_, i) => i + 0.5);
    for (const ms of durations) {
      metrics.runStarted('create_vm');
      metrics.runDuration('create_vm', ms);
    }
    logs = captureLogs();
    // Act
    const written = metrics.flush();
    logs.restore();
    // Assess
    const out = lines(logs);
    expect(written).toBe(1);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ action: 'create_vm', [MetricName.RunsStarted]: 10_000 });
    const sample = out[0]?.[MetricName.RunDuration] as number[];
    expect(sample).toHaveLength(MAX_DURATION_SAMPLES);
    expect(new Set(sample).size).toBe(MAX_DURATION_SAMPLES);
    for (const v of sample) expect(durations).toContain(v);
    // Drawn from the whole batch, not its first 99: about as many from each half.
    const firstHalf = sample.filter((v) => v < 5_000).length;
    expect(firstHalf).toBeGreaterThan(30);
    expect(firstHalf).toBeLessThan(70);
  });

  it('writes nothing when nothing was counted, and starts afresh after a flush', () => {
    const metrics = new ConsumerMetrics({ metrics: new Metrics({ namespace: 'Test', serviceName: 'svc' }) });
    logs = captureLogs();
    expect(metrics.flush()).toBe(0);
    metrics.ledgerError();
    expect(metrics.pending).toBe(true);
    expect(metrics.flush()).toBe(1);
    expect(metrics.pending).toBe(false);
    expect(metrics.flush()).toBe(0);
    logs.restore();
    expect(lines(logs)).toEqual([expect.objectContaining({ service: 'svc', [MetricName.LedgerErrors]: 1 })]);
    // No Powertools warning either (it warns when asked to publish nothing).
    expect(logs.text()).not.toContain('No application metrics');
  });

  it('folds a reason outside the handler vocabulary so the reason dimension stays bounded', () => {
    expect(boundedReason('already-ended')).toBe('already-ended');
    expect(boundedReason('Error: something with spaces and a run id r_123')).toBe('other');
    expect(boundedReason('x'.repeat(49))).toBe('other');
  });
});
