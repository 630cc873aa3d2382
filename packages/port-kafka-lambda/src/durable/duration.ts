import * as z from 'zod';
import { PortKafkaError } from '../errors.js';

/**
 * Durations as durable actions write them: `'90s'`, `'20m'`, `'2h'`, `'1d'`,
 * combinations such as `'1h30m'`, or the durable SDK's object form
 * (`{ minutes: 20 }`). The SDK counts in whole seconds, so milliseconds are
 * not offered.
 */
const DURATION_TEXT = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

const DurationObject = z
  .object({
    days: z.number().int().nonnegative().optional(),
    hours: z.number().int().nonnegative().optional(),
    minutes: z.number().int().nonnegative().optional(),
    seconds: z.number().int().nonnegative().optional(),
  })
  .strict();

/** What a durable action may pass where a duration is expected. */
const DurationInput = z.union([z.string(), DurationObject]);
type DurationInput = z.input<typeof DurationInput>;

class DurationError extends PortKafkaError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DurationError';
  }
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Milliseconds in a duration. Throws {@link DurationError} naming what was
 * expected for text that is not one, and for zero: a wait of nothing or a
 * time limit of nothing is a mistake worth hearing about at once.
 */
const durationMs = (input: DurationInput): number => {
  let ms: number;
  if (typeof input === 'string') {
    const match = DURATION_TEXT.exec(input.trim());
    if (!match || input.trim() === '') {
      throw new DurationError(`"${input}" is not a duration; expected e.g. "90s", "20m", "2h", "1d" or "1h30m"`);
    }
    const [, d, h, m, s] = match.map((part) => (part === undefined ? 0 : Number(part)));
    ms = (d ?? 0) * DAY + (h ?? 0) * HOUR + (m ?? 0) * MINUTE + (s ?? 0) * SECOND;
  } else {
    const parsed = DurationObject.safeParse(input);
    if (!parsed.success) {
      throw new DurationError(
        `${JSON.stringify(input)} is not a duration; expected { days?, hours?, minutes?, seconds? } in whole numbers`,
        {
          cause: parsed.error,
        }
      );
    }
    const { days = 0, hours = 0, minutes = 0, seconds = 0 } = parsed.data;
    ms = days * DAY + hours * HOUR + minutes * MINUTE + seconds * SECOND;
  }
  if (ms <= 0) throw new DurationError(`${JSON.stringify(input)} is zero; expected a positive duration`);
  return ms;
};

/** The SDK's duration: whole seconds, at least one (it refuses zero). */
const sdkDuration = (ms: number): { seconds: number } => ({ seconds: Math.max(1, Math.round(ms / SECOND)) });

/** `90000` → `1m30s`, for log lines and step names. */
const formatDuration = (ms: number): string => {
  let rest = Math.round(ms / SECOND);
  if (rest === 0) return `${ms}ms`;
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
};

export { DurationError, DurationInput, durationMs, formatDuration, HOUR, MINUTE, SECOND, sdkDuration };
