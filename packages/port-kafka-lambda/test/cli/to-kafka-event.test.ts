import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeRecord } from '../../src/kafka/decode.js';
import { KafkaEvent, LambdaKafkaEvent } from '../../src/kafka/event.js';
import { linesOf, REPO, runTool } from './cli.js';
import { onlyFile, parseSummary } from './summary.js';

const readSample = (name: string): unknown => JSON.parse(readFileSync(path.join(REPO, 'events', name), 'utf8'));

/** Parses the converter's output as Lambda would see it, and decodes every record. */
const decodeEvent = (text: string) => {
  // Exactly Lambda's shape, not merely one the handler tolerates.
  LambdaKafkaEvent.parse(JSON.parse(text));
  const event = KafkaEvent.parse(JSON.parse(text));
  const records = Object.entries(event.records).flatMap(([key, list]) => list.map((raw) => ({ ...decodeRecord(raw), group: key })));
  return { event, records };
};

describe('to-kafka-event', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'to-kafka-event-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('wraps a run message in a Lambda Kafka event whose decoded value equals the message', async () => {
    const { code, stdout, stderr } = await runTool('to-kafka-event', ['events/v1-run-create-vm.json']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const { event, records } = decodeEvent(stdout);
    expect(event.eventSource).toBe('SelfManagedKafka');
    expect(records).toHaveLength(1);
    expect(records[0]).toEqual(
      expect.objectContaining({
        group: 'org_sYG4DOJZNGy8bYnt.runs-0',
        key: null,
        topic: 'org_sYG4DOJZNGy8bYnt.runs',
        partition: 0,
        offset: 0,
        tombstone: false,
      })
    );
    expect(records[0]?.value).toEqual(readSample('v1-run-create-vm.json'));
    // The trigger time, so converting twice gives the same file.
    expect(records[0]?.timestamp).toBe(Date.parse('2026-11-20T11:38:10.629Z'));
  });

  it('puts change-log messages on the change.log topic and honours --org, --partition and --offset', async () => {
    const { code, stdout } = await runTool('to-kafka-event', [
      'events/change-entity-update.json',
      'events/change-entity-delete.json',
      '--org',
      'org_Other42',
      '--partition',
      '3',
      '--offset',
      '40',
    ]);
    expect(code).toBe(0);
    const { records } = decodeEvent(stdout);
    expect(records.map((r) => [r.group, r.offset])).toEqual([
      ['org_Other42.change.log-3', 40],
      ['org_Other42.change.log-3', 41],
    ]);
    expect(records.map((r) => r.value)).toEqual([readSample('change-entity-update.json'), readSample('change-entity-delete.json')]);
  });

  it('uses --topic as given', async () => {
    const { stdout } = await runTool('to-kafka-event', ['events/v1-run-create-vm.json', '--topic', 'staging.runs']);
    expect(decodeEvent(stdout).records[0]?.topic).toBe('staging.runs');
  });

  it('writes --out, and invoke runs the written event', async () => {
    const out = path.join(dir, 'event.json');
    const converted = await runTool('to-kafka-event', ['events/automation-run-deploy-service.json', '--out', out]);
    expect(converted.code).toBe(0);
    expect(converted.stdout).toBe('');
    expect(decodeEvent(readFileSync(out, 'utf8')).records[0]?.value).toEqual(readSample('automation-run-deploy-service.json'));

    const invoked = await runTool('invoke', [out, '--json']);
    expect(invoked.code).toBe(0);
    const file = onlyFile(parseSummary(invoked.stdout));
    expect(file.kind).toBe('kafka-event');
    expect(file.runs).toEqual([expect.objectContaining({ id: 'r_A7tq0MzeP4nB2cVw', status: 'SUCCESS' })]);
  });

  it('refuses a file that already is a Lambda Kafka event, in one line with exit 2', async () => {
    const { code, stdout, stderr } = await runTool('to-kafka-event', ['events/batch-mixed-partitions-topics.json']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(linesOf(stderr)).toEqual(['to-kafka-event: events/batch-mixed-partitions-topics.json: already a Lambda Kafka event']);
  });

  it('refuses a bad --partition in one line with exit 2', async () => {
    const { code, stderr } = await runTool('to-kafka-event', ['events/v1-run-create-vm.json', '--partition', '-1']);
    expect(code).toBe(2);
    expect(linesOf(stderr)).toHaveLength(1);
  });
});
