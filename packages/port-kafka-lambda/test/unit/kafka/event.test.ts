import { describe, expect, it } from '@jest/globals';
import { toKafkaEvent } from '../../../src/cli/invoke/kafka.js';
import { toLambdaKafkaEvent } from '../../../src/consumer/lambda-event.js';
import { KafkaEvent, KafkaRecord, LambdaKafkaEvent } from '../../../src/kafka/event.js';
import { kafkaEvent, kafkaRecord } from '../../../src/testing/factories.js';

/** Lambda's exact event schema, or the issues that make `event` something else. */
const exactIssues = (event: unknown): string[] => {
  const parsed = LambdaKafkaEvent.safeParse(JSON.parse(JSON.stringify(event)));
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('the Lambda Kafka event schema', () => {
  // The three builders share the types of kafka/event.ts; this checks their output at runtime too.
  it('is what the consumer builds: key omitted or null, tombstones, null header values, MSK', () => {
    const consumed = [
      {
        topic: 'org_abc.runs',
        partition: 1,
        offset: 7n,
        timestamp: 1n,
        key: null,
        value: Buffer.from('{}'),
        headers: [['h', null]] as const,
      },
      { topic: 'org_abc.runs', partition: 1, offset: 8n, timestamp: -1n, key: Buffer.from('k'), value: null, headers: [] },
    ];
    expect(exactIssues(toLambdaKafkaEvent(consumed, { bootstrapServers: ['a:1'] }))).toEqual([]);
    expect(exactIssues(toLambdaKafkaEvent(consumed, { bootstrapServers: 'a:1', nullKey: 'null' }))).toEqual([]);
    expect(exactIssues(toLambdaKafkaEvent(consumed, { bootstrapServers: 'a:1', eventSourceArn: 'arn:aws:kafka:x' }))).toEqual([]);
  });

  it('is what the test factories build, for both event sources and every key form', () => {
    const records = [
      kafkaRecord({ value: { a: 1 } }),
      kafkaRecord({ value: null, key: null }),
      kafkaRecord({ value: 'text', key: 'k', headers: [{ h: 'v' }] }),
    ];
    expect(exactIssues(kafkaEvent(records))).toEqual([]);
    expect(exactIssues(kafkaEvent(records, 'aws:kafka'))).toEqual([]);
  });

  it('is what the CLI wraps Port messages in', () => {
    expect(exactIssues(toKafkaEvent([{ value: { a: 1 }, topic: 'org_abc.runs', partition: 0 }]))).toEqual([]);
  });

  it('refuses what Lambda never sends, which the handler still tolerates', () => {
    const event = kafkaEvent([kafkaRecord({ value: {} })]);
    const record = Object.values(event.records)[0]?.[0];
    const lenient = {
      ...event,
      eventSource: 'aws:SelfManagedKafka',
      records: { 'org_abc.runs-0': [{ ...record, partition: '0', headers: null }] },
    };
    expect(exactIssues(lenient)).not.toEqual([]);
    expect(KafkaEvent.safeParse(lenient).success).toBe(true);
    expect(KafkaRecord.safeParse(lenient.records['org_abc.runs-0'][0]).success).toBe(true);
  });
});
