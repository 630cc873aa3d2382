import { describe, expect, it } from '@jest/globals';
import { parseRetryAfter } from '../../src/port/retry.js';

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 4, 1, 12, 0, 0);

  it.each([
    ['2', 2_000],
    ['0', 0],
    ['1.5', 1_500],
    [3, 3_000],
    [['4'], 4_000],
  ])('reads delay-seconds %j as %d ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it('reads an HTTP-date relative to the injected clock', () => {
    expect(parseRetryAfter(new Date(now + 7_000).toUTCString(), now)).toBe(7_000);
    expect(parseRetryAfter(new Date(now - 7_000).toUTCString(), now)).toBe(0);
  });

  it.each([undefined, '', 'soon', {}, null])('ignores %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});
