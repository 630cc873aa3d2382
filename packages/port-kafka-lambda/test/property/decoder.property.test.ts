import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decodeRecord, RecordDecodeError } from '../../src/kafka/decode.js';
import { normalizeChange, normalizeRun } from '../../src/messages/normalize.js';
import { kafkaEvent, kafkaRecord, lambdaContext, v1Run } from '../../src/testing/factories.js';
import { createHarness } from '../helpers/harness.js';

/** Arbitrary record-ish values: real records with arbitrary bytes, and arbitrary JSON shapes. */
const arbitraryRecord = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((bytes) => kafkaRecord({ value: Buffer.from(bytes) })),
  fc.string({ maxLength: 200 }).map((rawValue) => kafkaRecord({ value: {}, rawValue })),
  fc.jsonValue({ maxDepth: 4 }).map((value) => kafkaRecord({ value: JSON.stringify(value) })),
  fc.anything({ maxDepth: 3 })
);

describe('decoder properties', () => {
  it('either decodes or throws a RecordDecodeError, never anything else', () => {
    fc.assert(
      fc.property(arbitraryRecord, (input) => {
        try {
          decodeRecord(input);
        } catch (error) {
          expect(error).toBeInstanceOf(RecordDecodeError);
        }
      }),
      { numRuns: 500 }
    );
  });

  it('round-trips any JSON value, minus exactly the prototype-polluting keys', () => {
    // Reference model of what must be removed: every __proto__ key, and
    // constructor/prototype keys holding an object.
    const clean = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(clean);
      if (typeof v !== 'object' || v === null) return v;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const c = clean(x);
        const dangerous = k === '__proto__' || ((k === 'constructor' || k === 'prototype') && typeof c === 'object' && c !== null);
        if (!dangerous) Object.defineProperty(out, k, { value: c, enumerable: true, writable: true, configurable: true });
      }
      return out;
    };
    const pollutingKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'a');
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 5 }), fc.dictionary(pollutingKey, fc.jsonValue({ maxDepth: 3 }))), (value) => {
        const text = JSON.stringify(value);
        const decoded = decodeRecord(kafkaRecord({ value: text }));
        // Compare through JSON text: JSON.stringify turns -0 into 0 on both sides.
        expect(JSON.stringify(decoded.value)).toBe(JSON.stringify(clean(JSON.parse(text))));
      }),
      { numRuns: 400 }
    );
  });

  it('normalisers return a result for any JSON, never throw', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        expect(typeof normalizeRun(value).ok).toBe('boolean');
        expect(typeof normalizeChange(value).ok).toBe('boolean');
      }),
      { numRuns: 300 }
    );
  });

  it('normalizeRun accepts any mutation of optional fields of a valid message it can still read', () => {
    fc.assert(
      fc.property(
        fc.record({ entity: fc.constantFrom(null, {}, undefined), censored: fc.constantFrom(null, [], ['token']) }),
        ({ entity, censored }) => {
          const m = v1Run('create_vm', { cpu: 1 }) as Record<string, unknown> & { payload: Record<string, unknown> };
          m.payload.entity = entity;
          m.payload.censoredProperties = censored;
          const r = normalizeRun(m);
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.value.entity).toBeNull();
        }
      )
    );
  });
});

describe('handler properties', () => {
  it('answers any batch of arbitrary records without failing the batch, and accounts for every record', async () => {
    const h = await createHarness({ actions: [] });
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), arbitraryRecord), { maxLength: 25 }), async (items) => {
          const records = items
            .filter(([, r]) => typeof r === 'object' && r !== null && 'topic' in (r as object))
            .map(([partition, r], i) => ({ ...(r as ReturnType<typeof kafkaRecord>), partition, offset: i }));
          const response = await h.handler(kafkaEvent(records), lambdaContext());
          expect(response).toEqual({ batchItemFailures: [] });
          const outcomes = h.lastOutcomes();
          expect(outcomes).toHaveLength(records.length);
          for (const o of outcomes) expect(['skipped', 'invalid']).toContain(o.status);
        }),
        { numRuns: 60 }
      );
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    } finally {
      await h.close();
    }
  });
});
