import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { type CliResult, REPO, runTool } from './cli.js';
import { type JsonFile, onlyFile, parseSummary } from './summary.js';

const ORG = 'org_sYG4DOJZNGy8bYnt';

/** Every bundled sample and what the CLI must report for it. */
const SAMPLES: Record<string, (file: JsonFile) => void> = {
  'v1-run-create-vm.json': (f) => {
    expect(f.kind).toBe('runs');
    expect(f.records).toEqual([expect.objectContaining({ topic: `${ORG}.runs`, partition: 0, offset: 0, status: 'succeeded' })]);
    expect(f.runs).toEqual([
      expect.objectContaining({
        id: 'r_q2mGf9ZYkFRnZJjB',
        action: 'create_vm',
        status: 'SUCCESS',
        logCount: 2,
        entities: ['vm/vm-q2mgf9zykfrnzjjb'],
      }),
    ]);
    expect(f.runs[0]?.summary).toBe('Created small VM vm-q2mgf9zykfrnzjjb in eu-west-1');
  },
  'v2-compat-run-deploy-service.json': (f) => {
    expect(f.runs).toEqual([
      expect.objectContaining({
        id: 'r_Vb7dK2pQx9LmN4sT',
        action: 'deploy_service',
        status: 'SUCCESS',
        logCount: 4,
        summary: 'Deployed checkout 1.4.2 to staging',
      }),
    ]);
  },
  'recommended-run-create-vm.json': (f) => {
    expect(f.runs).toEqual([
      expect.objectContaining({ id: 'r_Hx3Lq8ZtWc1aPe6Y', status: 'SUCCESS', logCount: 2, entities: ['vm/build-agent-7'] }),
    ]);
    expect(f.runs[0]?.links[0]).toMatch(/^https:\/\/us-east-1\.console\.aws\.amazon\.com\//);
  },
  'automation-run-deploy-service.json': (f) => {
    expect(f.runs).toEqual([
      expect.objectContaining({ id: 'r_A7tq0MzeP4nB2cVw', status: 'SUCCESS', logCount: 4, summary: 'Deployed checkout 1.5.0 to dev' }),
    ]);
  },
  'change-entity-create.json': (f) => {
    expect(f.kind).toBe('change.log');
    expect(f.records).toEqual([expect.objectContaining({ topic: `${ORG}.change.log`, status: 'succeeded', reason: 'vm-storage-alert' })]);
    // Plenty of free storage: the handler has nothing to write.
    expect(f.entityChanges).toEqual([]);
  },
  'change-entity-update.json': (f) => {
    expect(f.records).toEqual([expect.objectContaining({ status: 'succeeded', reason: 'vm-storage-alert' })]);
    expect(f.entityChanges).toEqual([{ blueprint: 'vm', identifier: 'storage-example', properties: { storage_alert: true } }]);
  },
  'change-entity-delete.json': (f) => {
    expect(f.records).toEqual([expect.objectContaining({ status: 'skipped', reason: 'no-change-handler' })]);
    expect(f.runs).toEqual([]);
  },
  'batch-mixed-partitions-topics.json': (f) => {
    expect(f.kind).toBe('kafka-event');
    expect(new Set(f.records.map((r) => `${r.topic}-${r.partition}`))).toEqual(
      new Set([`${ORG}.runs-0`, `${ORG}.runs-1`, `${ORG}.change.log-0`, `${ORG}.change.log-2`])
    );
    expect(f.counts).toEqual({ succeeded: 3, failed: 0, skipped: 2, invalid: 0, retry: 0 });
    expect(f.records.find((r) => r.offset === 13)).toEqual(expect.objectContaining({ status: 'skipped', reason: 'agent-run' }));
    expect(f.runs.map((r) => [r.id, r.status])).toEqual([
      ['r_MixP0aBatchRun01', 'SUCCESS'],
      ['r_MixP1bBatchRun02', 'SUCCESS'],
    ]);
    expect(f.entityChanges).toEqual([{ blueprint: 'vm', identifier: 'batch-cache-1', properties: { storage_alert: true } }]);
  },
  'v2-compat-run-rollout-service.json': (f) => {
    // A durable action, run in-process with its waits skipped: the record waited for the run's end.
    expect(f.records).toEqual([expect.objectContaining({ status: 'succeeded', reason: 'succeeded' })]);
    expect(f.runs).toEqual([
      expect.objectContaining({
        id: 'r_Rl5kF8wQz2NcT7pY',
        status: 'SUCCESS',
        statusLabel: 'healthy',
        summary: 'Rolled out checkout 1.5.0 to staging: 3/3 replicas healthy',
      }),
    ]);
    const durable = (f.runs[0] as unknown as { durable?: { status: string; steps: { name: string }[] } }).durable;
    expect(durable?.status).toBe('SUCCEEDED');
    expect(durable?.steps.map((s) => s.name)).toEqual([
      'claim',
      'status',
      'pickup',
      'validate',
      'log',
      'start deployment',
      'link',
      'service healthy',
      'upsert service',
      'report',
    ]);
  },
  'batch-malformed-record.json': (f) => {
    expect(f.records.map((r) => [r.offset, r.status, r.reason])).toEqual([
      [100, 'succeeded', 'succeeded'],
      [101, 'invalid', 'not-json'],
      [102, 'succeeded', 'succeeded'],
    ]);
    expect(f.runs.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS']);
  },
};

/** Durable actions' samples skip their waits (minutes of polling otherwise). */
const EXTRA_ARGS: Record<string, string[]> = { 'v2-compat-run-rollout-service.json': ['--skip-waits'] };

describe('invoke on the bundled samples', () => {
  const results = new Map<string, CliResult>();
  beforeAll(async () => {
    // One process per sample, in parallel: each is a fresh emulator and handler.
    await Promise.all(
      Object.keys(SAMPLES).map(async (name) =>
        results.set(name, await runTool('invoke', [`events/${name}`, '--json', ...(EXTRA_ARGS[name] ?? [])]))
      )
    );
  }, 60_000);

  it('has a sample for every shape the issue lists, and each is in events/', () => {
    const present = readdirSync(`${REPO}events`);
    for (const name of Object.keys(SAMPLES)) expect(present).toContain(name);
  });

  it.each(Object.keys(SAMPLES))('handles %s as expected, exit 0', (name) => {
    const result = results.get(name);
    expect(result?.code).toBe(0);
    const file = onlyFile(parseSummary(result?.stdout ?? ''));
    expect(file).toEqual(expect.objectContaining({ file: `events/${name}`, ok: true, problems: [] }));
    SAMPLES[name]?.(file);
  });
});
