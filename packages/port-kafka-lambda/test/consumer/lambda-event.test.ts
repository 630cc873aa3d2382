import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  type ConsumedRecord,
  estimateEventBytes,
  toLambdaKafkaEvent,
  toLambdaRecord,
  UnsafeKafkaNumberError,
} from '../../src/consumer/lambda-event.js';

const record = (overrides: Partial<ConsumedRecord> = {}): ConsumedRecord => ({
  topic: 'org_abc123.runs',
  partition: 0,
  offset: 0n,
  timestamp: 1_700_000_000_000n,
  key: Buffer.from('k'),
  value: Buffer.from('{"a":1}'),
  headers: [],
  ...overrides,
});

const BROKERS = ['b-1.example.com:9196', 'b-2.example.com:9196'];

describe('toLambdaKafkaEvent', () => {
  it('groups records under "<topic>-<partition>", groups in order of first appearance', () => {
    const event = toLambdaKafkaEvent(
      [
        record({ topic: 'org_abc123.change.log', partition: 2, offset: 7n }),
        record({ topic: 'my-topic.v2', partition: 10, offset: 1n }),
        record({ topic: 'org_abc123.change.log', partition: 0, offset: 3n }),
        record({ topic: 'my-topic.v2', partition: 1, offset: 4n }),
        record({ topic: 'org_abc123.change.log', partition: 2, offset: 8n }),
      ],
      { bootstrapServers: BROKERS }
    );
    expect(Object.keys(event.records)).toEqual(['org_abc123.change.log-2', 'my-topic.v2-10', 'org_abc123.change.log-0', 'my-topic.v2-1']);
    expect(event.records['org_abc123.change.log-2']?.map((r) => r.offset)).toEqual([7, 8]);
    for (const [key, group] of Object.entries(event.records)) {
      for (const r of group) expect(`${r.topic}-${r.partition}`).toBe(key);
    }
  });

  it('sorts each group by offset, keeping other groups apart', () => {
    const event = toLambdaKafkaEvent(
      [
        record({ partition: 0, offset: 5n }),
        record({ partition: 1, offset: 2n }),
        record({ partition: 0, offset: 3n }),
        record({ partition: 0, offset: 9n }),
        record({ partition: 1, offset: 1n }),
        record({ partition: 0, offset: 4n }),
      ],
      { bootstrapServers: BROKERS }
    );
    expect(event.records['org_abc123.runs-0']?.map((r) => r.offset)).toEqual([3, 4, 5, 9]);
    expect(event.records['org_abc123.runs-1']?.map((r) => r.offset)).toEqual([1, 2]);
  });

  it('is a self-managed event with the brokers comma-joined, or passed through as a string', () => {
    const event = toLambdaKafkaEvent([record()], { bootstrapServers: BROKERS });
    expect(event.eventSource).toBe('SelfManagedKafka');
    expect(event.bootstrapServers).toBe('b-1.example.com:9196,b-2.example.com:9196');
    expect(event).not.toHaveProperty('eventSourceArn');
    expect(toLambdaKafkaEvent([], { bootstrapServers: 'a:1,b:2' })).toEqual({
      eventSource: 'SelfManagedKafka',
      bootstrapServers: 'a:1,b:2',
      records: {},
    });
  });

  it('is an MSK event when eventSourceArn is given', () => {
    const arn = 'arn:aws:kafka:eu-west-1:123456789012:cluster/port/abc';
    const event = toLambdaKafkaEvent([record({ offset: 12n })], { bootstrapServers: BROKERS, eventSourceArn: arn });
    expect(event).toEqual({
      eventSource: 'aws:kafka',
      eventSourceArn: arn,
      bootstrapServers: 'b-1.example.com:9196,b-2.example.com:9196',
      records: { 'org_abc123.runs-0': [expect.objectContaining({ offset: 12 })] },
    });
  });

  it('applies nullKey to every record', () => {
    const event = toLambdaKafkaEvent([record({ key: null })], { bootstrapServers: BROKERS, nullKey: 'null' });
    expect(event.records['org_abc123.runs-0']?.[0]).toHaveProperty('key', null);
  });
});

describe('toLambdaRecord', () => {
  it('renders a record exactly as Lambda does (base64 key and value, numbers, CREATE_TIME by default)', () => {
    expect(
      toLambdaRecord(
        record({
          partition: 3,
          offset: 42n,
          key: Buffer.from('run_1'),
          value: Buffer.from('hello'),
          headers: [['h', Buffer.from([0, 255])]],
        })
      )
    ).toEqual({
      topic: 'org_abc123.runs',
      partition: 3,
      offset: 42,
      timestamp: 1_700_000_000_000,
      timestampType: 'CREATE_TIME',
      key: Buffer.from('run_1').toString('base64'),
      value: 'aGVsbG8=',
      headers: [{ h: [0, 255] }],
    });
    expect(toLambdaRecord(record({ timestampType: 'LOG_APPEND_TIME' })).timestampType).toBe('LOG_APPEND_TIME');
  });

  it('omits the key when the producer sent none, or renders key: null on request', () => {
    const omitted = toLambdaRecord(record({ key: null }));
    expect(Object.hasOwn(omitted, 'key')).toBe(false);
    expect(JSON.stringify(omitted)).not.toContain('"key"');
    expect(Object.hasOwn(toLambdaRecord(record({ key: null }), 'omit'), 'key')).toBe(false);
    const nulled = toLambdaRecord(record({ key: null }), 'null');
    expect(Object.hasOwn(nulled, 'key')).toBe(true);
    expect(nulled.key).toBeNull();
  });

  it('renders an empty key and an empty value as "" (distinct from a missing key and a tombstone)', () => {
    const converted = toLambdaRecord(record({ key: Buffer.alloc(0), value: Buffer.alloc(0) }), 'null');
    expect(converted.key).toBe('');
    expect(converted.value).toBe('');
  });

  it('renders a tombstone value as null', () => {
    expect(toLambdaRecord(record({ value: null })).value).toBeNull();
  });

  it('keeps header order, one object per occurrence, including interleaved repeats', () => {
    const converted = toLambdaRecord(
      record({
        headers: [
          ['a', Buffer.from('1')],
          ['b', Buffer.from('2')],
          ['a', Buffer.from('3')],
          ['a', Buffer.from('4')],
        ],
      })
    );
    expect(converted.headers).toEqual([{ a: [0x31] }, { b: [0x32] }, { a: [0x33] }, { a: [0x34] }]);
    for (const header of converted.headers) expect(Object.keys(header)).toHaveLength(1);
  });

  it('renders a null header value as an empty array, and an empty one too', () => {
    expect(
      toLambdaRecord(
        record({
          headers: [
            ['n', null],
            ['e', Buffer.alloc(0)],
          ],
        })
      ).headers
    ).toEqual([{ n: [] }, { e: [] }]);
  });

  it('makes a "__proto__" header an own property, without touching any prototype', () => {
    const converted = toLambdaRecord(
      record({
        headers: [
          ['__proto__', Buffer.from([1, 2])],
          ['constructor', Buffer.from([3])],
        ],
      })
    );
    const [proto, ctor] = converted.headers;
    expect(proto && Object.hasOwn(proto, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(proto && Object.getOwnPropertyDescriptor(proto, '__proto__')?.value).toEqual([1, 2]);
    expect(ctor && Object.hasOwn(ctor, 'constructor')).toBe(true);
    expect(JSON.stringify(converted.headers)).toBe('[{"__proto__":[1,2]},{"constructor":[3]}]');
  });

  it('accepts offsets and timestamps up to 2^53 - 1 and refuses larger ones', () => {
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    expect(toLambdaRecord(record({ offset: max, timestamp: max })).offset).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => toLambdaRecord(record({ offset: max + 1n }))).toThrow(UnsafeKafkaNumberError);
    expect(() => toLambdaRecord(record({ offset: 2n ** 63n - 1n }))).toThrow(/offset 9223372036854775807/);
    expect(() => toLambdaRecord(record({ timestamp: max + 1n }))).toThrow(UnsafeKafkaNumberError);
    // "No timestamp" (-1) is a legal Kafka value and must not stall the partition.
    expect(toLambdaRecord(record({ timestamp: -1n })).timestamp).toBe(-1);
    expect(() => toLambdaKafkaEvent([record(), record({ offset: 2n ** 60n })], { bootstrapServers: BROKERS })).toThrow(
      UnsafeKafkaNumberError
    );
  });
});

describe('estimateEventBytes', () => {
  const jsonLength = (r: ConsumedRecord): number => JSON.stringify(toLambdaRecord(r, 'null')).length;

  it.each([0, 1, 2, 3, 4, 100, 1024, 100_000, 1_000_000])('is at least the JSON length for %i-byte keys, values and headers', (size) => {
    const bytes = Buffer.alloc(size, 0xff);
    const r = record({
      offset: BigInt(Number.MAX_SAFE_INTEGER),
      timestamp: BigInt(Number.MAX_SAFE_INTEGER),
      partition: 2 ** 31 - 1,
      timestampType: 'LOG_APPEND_TIME',
      key: bytes,
      value: bytes,
      headers: [
        ['h', bytes.subarray(0, Math.min(size, 1000))],
        ['h', null],
      ],
    });
    const estimate = estimateEventBytes(r);
    expect(estimate).toBeGreaterThanOrEqual(jsonLength(r));
    expect(estimate).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(toLambdaRecord(r))));
    expect(estimate).toBeLessThanOrEqual(2 * jsonLength(r) + 300);
  });

  it('counts JSON escapes and multi-byte characters in header names', () => {
    const r = record({
      key: null,
      value: null,
      headers: [
        ['\u0000'.repeat(40), null],
        ['中'.repeat(40), Buffer.from([1])],
        ['"\\'.repeat(20), null],
      ],
    });
    const json = JSON.stringify(toLambdaRecord(r, 'null'));
    expect(estimateEventBytes(r)).toBeGreaterThanOrEqual(Buffer.byteLength(json));
  });

  it('is at least the JSON length (and bytes) and at most ~2x + 300 for arbitrary records', () => {
    const bytes = fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a));
    const headerName = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      // JSON escapes and 2-, 3- and 4-byte UTF-8
      fc.string({ unit: fc.constantFrom('\u0000', '\u001f', '\n', '"', '\\', 'é', '中', '😀', 'a'), maxLength: 20 }),
      fc.constantFrom('__proto__', 'constructor', 'traceparent')
    );
    const arbitraryRecord = fc.record({
      topic: fc.stringMatching(/^[a-zA-Z0-9._-]{1,249}$/),
      partition: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      offset: fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) }),
      timestamp: fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) }),
      timestampType: fc.constantFrom('CREATE_TIME' as const, 'LOG_APPEND_TIME' as const),
      key: fc.option(bytes, { nil: null }),
      value: fc.option(bytes, { nil: null }),
      headers: fc.array(fc.tuple(headerName, fc.option(bytes, { nil: null })), { maxLength: 6 }),
    });
    fc.assert(
      fc.property(arbitraryRecord, fc.constantFrom('omit' as const, 'null' as const), (r, nullKey) => {
        const json = JSON.stringify(toLambdaRecord(r, nullKey));
        const estimate = estimateEventBytes(r);
        expect(estimate).toBeGreaterThanOrEqual(json.length);
        // What Lambda's 6 MB cap counts: UTF-8 bytes.
        expect(estimate).toBeGreaterThanOrEqual(Buffer.byteLength(json));
        expect(estimate).toBeLessThanOrEqual(2 * json.length + 300);
      }),
      { numRuns: 500 }
    );
  });
});
