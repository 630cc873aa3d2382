import { describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { defineAction } from '../../src/actions/define.js';
import { DurationError, durationMs, formatDuration } from '../../src/durable/duration.js';
import { EXECUTION_NAME, executionName } from '../../src/durable/payload.js';
import { timeLimitMs } from '../../src/durable/time.js';

describe('durable execution names', () => {
  it('is run-<run id> for Port run ids, and -a<n> for a rerun attempt', () => {
    expect(executionName('r_Rl5kF8wQz2NcT7pY')).toBe('run-r_Rl5kF8wQz2NcT7pY');
    expect(executionName('r_Rl5kF8wQz2NcT7pY', 2)).toBe('run-r_Rl5kF8wQz2NcT7pY-a2');
  });

  it("keeps ids outside Lambda's alphabet or length apart with a hash, within 1-64 of [A-Za-z0-9_-]", () => {
    const odd = ['r.with.dots', 'r/with/slash', 'r with space', `r_${'x'.repeat(80)}`, `r_${'x'.repeat(80)}y`];
    const names = odd.map((id) => executionName(id, 3));
    for (const name of names) expect(name).toMatch(EXECUTION_NAME);
    expect(new Set(names).size).toBe(odd.length);
    expect(names[0]).toMatch(/^run-r_with_dots-[0-9a-f]{16}-a3$/);
    // The same id always gets the same name: it is the idempotency key.
    expect(executionName('r.with.dots', 3)).toBe(names[0]);
  });
});

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['20m', 1_200_000],
    ['1h30m', 5_400_000],
    ['1d', 86_400_000],
  ])('reads %s', (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  it("reads the SDK's object form and prints compactly", () => {
    expect(durationMs({ minutes: 20, seconds: 5 })).toBe(1_205_000);
    expect(formatDuration(5_400_000)).toBe('1h30m');
  });

  it.each(['', '20', '5 minutes', '0s', '1.5h'])('refuses %j with what was expected', (text) => {
    expect(() => durationMs(text)).toThrow(DurationError);
  });

  it('a malformed time limit fails when the action is defined, not when a run arrives', () => {
    expect(() =>
      defineAction({ identifier: 'bad', durable: { timeout: '2 hours' }, inputs: z.object({}), handler: async () => undefined })
    ).toThrow(/"2 hours" is not a duration/);
  });

  it("caps a run's time limit by the execution timeout less the report margin", () => {
    const day = 86_400_000;
    const action = (timeout?: string) => ({ durable: timeout === undefined ? (true as const) : { timeout } });
    expect(timeLimitMs(action('2h'), day)).toBe(7_200_000);
    expect(timeLimitMs(action(), day)).toBe(day - 900_000);
    expect(timeLimitMs(action('3d'), day)).toBe(day - 900_000);
    // A short execution timeout keeps a tenth for the report.
    expect(timeLimitMs(action(), 3_600_000)).toBe(3_240_000);
  });
});

describe('invoke flags for durable actions', () => {
  it('reads --skip-waits and --wait-scale, and refuses both together or a factor outside (0, 1]', async () => {
    const { parseInvokeArgs } = await import('../../src/cli/invoke/args.js');
    expect(parseInvokeArgs(['events/', '--skip-waits'])).toMatchObject({ skipWaits: true });
    expect(parseInvokeArgs(['events/', '--wait-scale', '0.01'])).toMatchObject({ skipWaits: false, waitScale: 0.01 });
    expect(parseInvokeArgs(['events/'])).not.toHaveProperty('waitScale');
    expect(() => parseInvokeArgs(['events/', '--wait-scale', '2'])).toThrow(
      '--wait-scale: expected a factor above 0 and at most 1, got "2"'
    );
    expect(() => parseInvokeArgs(['events/', '--wait-scale', '0'])).toThrow(/--wait-scale/);
    expect(() => parseInvokeArgs(['events/', '--skip-waits', '--wait-scale', '0.5'])).toThrow(
      '--skip-waits and --wait-scale exclude each other'
    );
  });
});
