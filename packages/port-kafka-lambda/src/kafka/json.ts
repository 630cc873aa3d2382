/**
 * Keys that let a parsed JSON document reach Object.prototype once it is
 * merged or assigned somewhere (`Object.assign(target, parsed)` with an own
 * `__proto__` key replaces target's prototype; `constructor.prototype` is the
 * other classic path).
 */
const mayPollute = (text: string): boolean => text.includes('__proto__') || text.includes('constructor') || text.includes('prototype');

interface ParsedJson {
  value: unknown;
  /** Keys that were removed because they could pollute a prototype. */
  removedKeys: number;
}

/**
 * JSON.parse that cannot be used for prototype pollution. A reviver costs
 * several times a plain parse, so it only runs when a cheap scan of the text
 * finds one of the words; ordinary Port messages take the fast path.
 * Every `__proto__` key goes, and `constructor`/`prototype` keys go when they
 * hold an object; a scalar input named "constructor" is kept.
 */
const parseJsonSafely = (text: string): ParsedJson => {
  if (!mayPollute(text)) return { value: JSON.parse(text), removedKeys: 0 };
  let removedKeys = 0;
  const value: unknown = JSON.parse(text, (key, v: unknown) => {
    const dangerous = key === '__proto__' || ((key === 'constructor' || key === 'prototype') && typeof v === 'object' && v !== null);
    if (!dangerous) return v;
    removedKeys++;
    // Returning undefined from a reviver deletes the property.
    return undefined;
  });
  return { value, removedKeys };
};

export type { ParsedJson };
export { parseJsonSafely };
