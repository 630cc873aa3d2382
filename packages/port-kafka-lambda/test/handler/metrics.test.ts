import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { defineAction } from '../../src/actions/define.js';
import { defineChangeHandler } from '../../src/changes/define.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_EMULATOR_CLIENT, type PortEmulator, startPortEmulator } from '../../src/emulator/index.js';
import { BatchRetryError, createHandler } from '../../src/handler.js';
import { MemoryParker } from '../../src/parking/parker.js';
import { createPortClient } from '../../src/port/client.js';
import { MemoryRunLedger } from '../../src/runs/ledger/memory.js';
import { ConsumerMetrics } from '../../src/telemetry/metrics.js';
import { MetricName } from '../../src/telemetry/names.js';
import { CHANGES_TOPIC, kafkaEvent, kafkaRecord, lambdaContext, loadEvent, ORG_ID, v1Run } from '../../src/testing/factories.js';
import { captureLogs } from '../../src/testing/logs.js';

const NAMESPACE = 'PortKafkaLambdaTest';
const SERVICE = 'metrics-test';
const FUNCTION = 'port-kafka-metrics-test';

/** One EMF line as CloudWatch reads it. */
interface EmfLine {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

const emfLines = (entries: Record<string, unknown>[]): EmfLine[] => entries.filter((e): e is EmfLine => '_aws' in e);

/**
 * What CloudWatch would store for `name` under exactly the dimensions
 * `service` + `dims`: the sum over every line that publishes it with that
 * dimension set (durations: their values, listed), or undefined if none does.
 */
const published = (lines: EmfLine[], name: string, dims: Record<string, string> = {}) => {
  const wanted = { service: SERVICE, ...dims };
  const keys = Object.keys(wanted).sort().join(',');
  let total: number | undefined;
  const values: number[] = [];
  for (const line of lines) {
    for (const directive of line._aws.CloudWatchMetrics) {
      if (directive.Namespace !== NAMESPACE || !directive.Metrics.some((m) => m.Name === name)) continue;
      const matches = directive.Dimensions.some(
        (set) => [...set].sort().join(',') === keys && Object.entries(wanted).every(([k, v]) => line[k] === v)
      );
      if (!matches) continue;
      const value = line[name];
      if (Array.isArray(value)) values.push(...(value as number[]));
      else if (typeof value === 'number') values.push(value);
      total = (total ?? 0) + (Array.isArray(value) ? value.length : (value as number));
    }
  }
  return { total, values };
};

const count = (lines: EmfLine[], name: string, dims?: Record<string, string>) => published(lines, name, dims).total;

describe('handler metrics (EMF through Powertools Metrics)', () => {
  let emulator: PortEmulator | undefined;
  let logs: ReturnType<typeof captureLogs> | undefined;
  const savedInitType = process.env.AWS_LAMBDA_INITIALIZATION_TYPE;

  beforeEach(() => {
    // Powertools counts a cold start only for on-demand initialization, as Lambda sets it.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  });
  afterEach(async () => {
    logs?.restore();
    logs = undefined;
    if (savedInitType === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = savedInitType;
    await emulator?.close();
  });

  const build = async () => {
    emulator = await startPortEmulator({ autoCreateRuns: false });
    const metrics = new ConsumerMetrics({ metrics: new Metrics({ namespace: NAMESPACE, serviceName: SERVICE }) });
    const credentials = async () => ({ ...DEFAULT_EMULATOR_CLIENT });
    const port = createPortClient({
      baseUrl: emulator.url,
      credentials,
      timeoutMs: 2_000,
      retry: { retries: 2, baseDelayMs: 5, maxDelayMs: 20, budgetMs: 2_000 },
      onRetry: metrics.portRetry,
    });
    const ok = defineAction({
      identifier: 'ok',
      aliases: ['ok_alias'],
      inputs: z.looseObject({}),
      handler: async () => ({ summary: 'done' }),
    });
    const bad = defineAction({
      identifier: 'bad',
      inputs: z.looseObject({}),
      handler: async () => {
        throw new Error('the action broke');
      },
    });
    const audit = defineChangeHandler({ identifier: 'audit', match: { action: 'UPDATE' }, handler: async () => undefined });
    const explode = defineChangeHandler({
      identifier: 'explode',
      match: { action: 'UPDATE' },
      handler: async () => {
        throw new Error('the change handler broke');
      },
    });
    const ledger = new MemoryRunLedger();
    const parker = new MemoryParker();
    const handler = createHandler({
      config: loadConfig({ PORT_ORG_ID: ORG_ID }),
      logger: new Logger({ serviceName: SERVICE, logLevel: 'SILENT' }),
      port,
      credentials,
      actions: [ok, bad],
      changeHandlers: [audit, explode],
      parker,
      ledger,
      functionName: FUNCTION,
      telemetry: { metrics },
    });
    return { emulator, handler, ledger, parker, port };
  };

  it('counts one batch per action, change handler and reason, with run durations, Port retries, parked records and the cold start', async () => {
    // Prepare
    const { emulator: emu, handler, parker, port } = await build();
    for (const id of ['r_ok1', 'r_ok2', 'r_ended1']) emu.createRun({ id, action: 'ok' });
    emu.getRun('r_ended1')!.status = 'SUCCESS';
    emu.createRun({ id: 'r_bad1', action: 'bad' });
    // The first Port call for r_ok2 answers 503 once: one retry.
    emu.faults.push({ match: { path: /r_ok2/ }, times: 1, respond: { status: 503 } });
    const event = kafkaEvent([
      kafkaRecord({ partition: 0, offset: 0, value: v1Run('ok', {}, 'r_ok1') }),
      kafkaRecord({ partition: 0, offset: 1, value: v1Run('ok_alias', {}, 'r_ok2') }),
      kafkaRecord({ partition: 0, offset: 2, value: v1Run('bad', {}, 'r_bad1') }),
      kafkaRecord({ partition: 0, offset: 3, value: v1Run('ok', {}, 'r_ok1') }),
      kafkaRecord({ partition: 0, offset: 4, value: v1Run('nobody_handles_this', {}, 'r_nobody1') }),
      kafkaRecord({ partition: 0, offset: 5, value: null }),
      kafkaRecord({ partition: 0, offset: 6, value: '{"not": json' }),
      kafkaRecord({ partition: 0, offset: 7, value: v1Run('ok', {}, 'r_ended1') }),
      kafkaRecord({ topic: CHANGES_TOPIC, partition: 1, offset: 0, value: loadEvent('change-entity-update.json') }),
      kafkaRecord({ topic: CHANGES_TOPIC, partition: 1, offset: 1, value: loadEvent('change-entity-delete.json') }),
    ]);
    logs = captureLogs();

    // Act
    await handler(event, lambdaContext());
    logs.restore();
    const lines = emfLines(logs.entries());
    port.close();

    // Assess: the batch did what the counts say.
    expect(emu.getRun('r_ok2')?.status).toBe('SUCCESS');
    expect(emu.getRun('r_bad1')?.status).toBe('FAILURE');
    expect(parker.records.map((r) => r.reason).sort()).toEqual(['handler-error', 'not-json']);
    // Per action: started, succeeded, failed and skipped, by reason; aliases count as their action.
    expect(count(lines, MetricName.RunsStarted, { action: 'ok' })).toBe(3);
    expect(count(lines, MetricName.RunsSucceeded, { action: 'ok' })).toBe(2);
    expect(count(lines, MetricName.RunsSkipped, { action: 'ok' })).toBe(2);
    expect(count(lines, MetricName.RunsSkipped, { action: 'ok', reason: 'duplicate-in-batch' })).toBe(1);
    expect(count(lines, MetricName.RunsSkipped, { action: 'ok', reason: 'already-ended' })).toBe(1);
    expect(count(lines, MetricName.RunsFailed, { action: 'ok' })).toBeUndefined();
    expect(count(lines, MetricName.RunsStarted, { action: 'bad' })).toBe(1);
    expect(count(lines, MetricName.RunsFailed, { action: 'bad' })).toBe(1);
    expect(count(lines, MetricName.RunsFailed, { action: 'bad', reason: 'handler-error' })).toBe(1);
    expect(count(lines, MetricName.RunsSkipped, { action: 'unregistered', reason: 'unknown-action' })).toBe(1);
    expect(count(lines, MetricName.RunsStarted, { action: 'unregistered' })).toBeUndefined();
    // Run durations: one value per run the lifecycle was given, in milliseconds.
    const okDurations = published(lines, MetricName.RunDuration, { action: 'ok' }).values;
    expect(okDurations).toHaveLength(3);
    for (const ms of okDurations) expect(ms).toBeGreaterThan(0);
    expect(published(lines, MetricName.RunDuration, { action: 'bad' }).values).toHaveLength(1);
    // Per change handler.
    expect(count(lines, MetricName.ChangesStarted, { changeHandler: 'audit' })).toBe(1);
    expect(count(lines, MetricName.ChangesSucceeded, { changeHandler: 'audit' })).toBe(1);
    expect(count(lines, MetricName.ChangesStarted, { changeHandler: 'explode' })).toBe(1);
    expect(count(lines, MetricName.ChangesFailed, { changeHandler: 'explode' })).toBe(1);
    expect(count(lines, MetricName.ChangesFailed, { changeHandler: 'explode', reason: 'handler-error' })).toBe(1);
    expect(count(lines, MetricName.ChangesSucceeded, { changeHandler: 'explode' })).toBeUndefined();
    expect(published(lines, MetricName.ChangeDuration, { changeHandler: 'audit' }).values).toHaveLength(1);
    // Per service: records, what was not a run or change of this app, parked, Port retries.
    expect(count(lines, MetricName.Records)).toBe(10);
    expect(count(lines, MetricName.RecordsSkipped)).toBe(2);
    expect(count(lines, MetricName.RecordsSkipped, { reason: 'tombstone' })).toBe(1);
    expect(count(lines, MetricName.RecordsSkipped, { reason: 'no-change-handler' })).toBe(1);
    expect(count(lines, MetricName.RecordsInvalid, { reason: 'not-json' })).toBe(1);
    expect(count(lines, MetricName.RecordsParked)).toBe(2);
    expect(count(lines, MetricName.RecordsParked, { reason: 'handler-error' })).toBe(1);
    expect(count(lines, MetricName.PortCallRetries)).toBe(1);
    expect(count(lines, MetricName.LedgerConflicts)).toBeUndefined();
    expect(count(lines, MetricName.ColdStart, { function_name: FUNCTION })).toBe(1);
    // Written once, at the end: one line per set of dimension values, none twice.
    const sets = lines.map((l) => JSON.stringify(l._aws.CloudWatchMetrics[0]?.Dimensions.map((d) => d.map((k) => l[k]))));
    expect(new Set(sets).size).toBe(sets.length);
  });

  it('counts ledger conflicts and retried runs, flushes when the handler throws, and counts the cold start once', async () => {
    // Prepare: another container holds r_held1's claim.
    const { emulator: emu, handler, ledger, port } = await build();
    emu.createRun({ id: 'r_first1', action: 'ok' });
    emu.createRun({ id: 'r_held1', action: 'ok' });
    await ledger.claim('r_held1', { owner: 'other/container', expiresAt: Date.now() + 600_000, action: 'ok', policy: 'fail' });
    logs = captureLogs();
    await handler(kafkaEvent([kafkaRecord({ value: v1Run('ok', {}, 'r_first1') })]), lambdaContext());
    const first = emfLines(logs.entries());
    logs.restore();
    logs = captureLogs();

    // Act: without partial batch responses the handler throws for the retry.
    await expect(handler(kafkaEvent([kafkaRecord({ offset: 1, value: v1Run('ok', {}, 'r_held1') })]), lambdaContext())).rejects.toThrow(
      BatchRetryError
    );
    logs.restore();
    const second = emfLines(logs.entries());
    port.close();

    // Assess
    expect(count(first, MetricName.ColdStart, { function_name: FUNCTION })).toBe(1);
    expect(count(first, MetricName.RunsSucceeded, { action: 'ok' })).toBe(1);
    expect(count(second, MetricName.ColdStart, { function_name: FUNCTION })).toBeUndefined();
    expect(count(second, MetricName.RunsStarted, { action: 'ok' })).toBe(1);
    expect(count(second, MetricName.RunsRetried, { action: 'ok' })).toBe(1);
    expect(count(second, MetricName.RunsSucceeded, { action: 'ok' })).toBeUndefined();
    expect(count(second, MetricName.LedgerConflicts)).toBe(1);
    expect(count(second, MetricName.RecordsRetried, { reason: 'transient' })).toBe(1);
    expect(emu.getRun('r_held1')?.status).toBe('IN_PROGRESS');
  });

  it('writes nothing without telemetry', async () => {
    emulator = await startPortEmulator({ autoCreateRuns: false });
    emulator.createRun({ id: 'r_plain1', action: 'ok' });
    const credentials = async () => ({ ...DEFAULT_EMULATOR_CLIENT });
    const port = createPortClient({ baseUrl: emulator.url, credentials });
    const handler = createHandler({
      config: loadConfig({ PORT_ORG_ID: ORG_ID }),
      logger: new Logger({ serviceName: SERVICE, logLevel: 'SILENT' }),
      port,
      credentials,
      actions: [defineAction({ identifier: 'ok', inputs: z.looseObject({}), handler: async () => ({}) })],
      changeHandlers: [],
      parker: new MemoryParker(),
    });
    logs = captureLogs();
    await handler(kafkaEvent([kafkaRecord({ value: v1Run('ok', {}, 'r_plain1') })]), lambdaContext());
    logs.restore();
    port.close();
    expect(emulator.getRun('r_plain1')?.status).toBe('SUCCESS');
    expect(emfLines(logs.entries())).toEqual([]);
  });
});
