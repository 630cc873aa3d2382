import { describe, expect, it } from '@jest/globals';
import { parseJsonSafely } from '../../../src/kafka/json.js';

describe('parseJsonSafely', () => {
  it('parses ordinary JSON on the fast path without removing anything', () => {
    expect(parseJsonSafely('{"a":[1,{"b":"constructor"}]}')).toEqual({ value: { a: [1, { b: 'constructor' }] }, removedKeys: 0 });
  });

  it('removes __proto__ keys so a later Object.assign cannot change a prototype', () => {
    // Prepare
    const { value, removedKeys } = parseJsonSafely('{"inputs":{"__proto__":{"polluted":true},"ok":1}}');
    // Act
    const target = Object.assign({}, (value as { inputs: object }).inputs);
    // Assess
    expect(removedKeys).toBe(1);
    expect((target as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
    expect(target).toEqual({ ok: 1 });
  });

  it('removes object-valued constructor and prototype keys but keeps scalar ones', () => {
    const { value, removedKeys } = parseJsonSafely(
      '{"constructor":{"prototype":{"x":1}},"nested":{"prototype":{"y":2}},"inputs":{"constructor":"Acme Builders"}}'
    );
    // The reviver works bottom-up: constructor.prototype, constructor, nested.prototype.
    expect(removedKeys).toBe(3);
    expect(value).toEqual({ nested: {}, inputs: { constructor: 'Acme Builders' } });
  });

  it('shows that the unsafe path is real: plain JSON.parse plus Object.assign swaps the prototype', () => {
    const parsed = JSON.parse('{"__proto__":{"polluted":true}}') as object;
    const target = Object.assign({}, parsed) as Record<string, unknown>;
    expect(target.polluted).toBe(true);
  });
});
