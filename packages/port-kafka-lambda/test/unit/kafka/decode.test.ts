import { describe, expect, it } from '@jest/globals';
import { DecodeFailure, decodeRecord, RecordDecodeError } from '../../../src/kafka/decode.js';
import { kafkaRecord, RUNS_TOPIC } from '../../../src/testing/factories.js';

const failureOf = (input: unknown): string | undefined => {
  try {
    decodeRecord(input);
    return undefined;
  } catch (error) {
    return error instanceof RecordDecodeError ? error.reason : `unexpected ${String(error)}`;
  }
};

describe('decodeRecord', () => {
  it('decodes a base64 JSON value, its key and its coordinates', () => {
    // Prepare
    const record = kafkaRecord({ value: { hello: 'wörld' }, key: 'r_1', partition: 2, offset: 41 });
    // Act
    const decoded = decodeRecord(record);
    // Assess
    expect(decoded).toMatchObject({ topic: RUNS_TOPIC, partition: 2, offset: 41, key: 'r_1', value: { hello: 'wörld' }, tombstone: false });
  });

  it.each([
    ['absent', undefined],
    ['null', null],
  ])('reads a %s key as null', (_, key) => {
    const record = kafkaRecord({ value: { a: 1 }, ...(key === null ? { key: null } : {}) });
    expect('key' in record).toBe(key === null);
    expect(decodeRecord(record).key).toBeNull();
  });

  it('treats a null value as a tombstone', () => {
    const decoded = decodeRecord(kafkaRecord({ value: null }));
    expect(decoded.tombstone).toBe(true);
    expect(decoded.value).toBeNull();
  });

  it('decodes every key of every header object as UTF-8, keeping repeats', () => {
    const record = kafkaRecord({ value: {}, headers: [{ trace: 'abc' }, { city: 'Zürich', trace: 'def' }] });
    expect(decodeRecord(record).headers).toEqual({ trace: ['abc', 'def'], city: ['Zürich'] });
  });

  it('keeps a non-UTF-8 header as latin1 instead of failing the record', () => {
    const record = { ...kafkaRecord({ value: {} }), headers: [{ bin: [0xff, 0x41] }] };
    expect(decodeRecord(record).headers.bin).toEqual(['ÿA']);
  });

  it('accepts string partitions and offsets as older AWS docs showed them', () => {
    const record = { ...kafkaRecord({ value: { a: 1 } }), partition: '3', offset: '17' };
    expect(decodeRecord(record)).toMatchObject({ partition: 3, offset: 17 });
  });

  it.each([
    ['not base64', { rawValue: 'this is not base64!!' }, DecodeFailure.NotBase64],
    ['base64 of invalid UTF-8', { rawValue: Buffer.from([0xc3, 0x28, 0xa0]).toString('base64') }, DecodeFailure.NotUtf8],
    ['not JSON', { value: 'plain text, not json' }, DecodeFailure.NotJson],
  ])('fails a value that is %s with a stable reason', (_, spec, reason) => {
    expect(failureOf(kafkaRecord({ value: {}, ...spec }))).toBe(reason);
  });

  it('fails something that is not a record at all', () => {
    expect(failureOf({ topic: 42 })).toBe(DecodeFailure.NotARecord);
    expect(failureOf('string')).toBe(DecodeFailure.NotARecord);
  });

  it('never puts the record content in the error', () => {
    const secret = 'super-secret-text-9f8e7d';
    try {
      decodeRecord(kafkaRecord({ value: `{"password": "${secret}"` }));
      throw new Error('expected a decode error');
    } catch (error) {
      expect(error).toBeInstanceOf(RecordDecodeError);
      const e = error as RecordDecodeError;
      expect(`${e.message} ${String(e.cause)} ${JSON.stringify(e)}`).not.toContain(secret);
    }
  });
});
