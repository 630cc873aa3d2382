import { setTimeout as sleep } from 'node:timers/promises';
import { type HttpResponse, HttpTransportError } from './http.js';

/** Retry tuning of the Port client. All durations in milliseconds. */
interface RetrySettings {
  /** Retries after the first attempt (so attempts ≤ retries + 1). */
  retries: number;
  /** Backoff cap grows as baseDelayMs · 2^(retry-1), then full jitter picks a delay in [0, cap). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Wall-clock budget for one logical call (token fetch, attempts, waits, 401 re-attempt). */
  budgetMs: number;
  /** Timeout of a single attempt. */
  timeoutMs: number;
}

const DEFAULT_RETRY_SETTINGS = {
  retries: 5,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  budgetMs: 20_000,
  timeoutMs: 10_000,
} as const satisfies RetrySettings;

/**
 * Shortest attempt worth starting: a retry that would leave less than this before the
 * deadline is not made (the call fails with what it has instead of a doomed attempt).
 */
const MIN_ATTEMPT_MS = 50;

/**
 * Socket-level failures worth another attempt. Port calls are safe to repeat (PATCH
 * overwrites keys, upsert is idempotent; a duplicated log line is the accepted cost),
 * so POST and PATCH are retried too. ETIMEDOUT is also an attempt's own timeout.
 */
const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

const isRetryableStatus = (status: number): boolean => status === 429 || (status >= 500 && status <= 599);

/** True for 429, 5xx and transient network failures (no answer). */
const isRetryableFailure = (failure: HttpResponse | HttpTransportError): boolean => {
  if (!(failure instanceof HttpTransportError)) return isRetryableStatus(failure.status);
  return failure.code !== undefined && RETRYABLE_NETWORK_CODES.has(failure.code);
};

/**
 * Parses `Retry-After` (RFC 9110: delay-seconds or an HTTP-date) into milliseconds from
 * `nowMs`. Returns undefined when absent or unparsable.
 */
const parseRetryAfter = (value: unknown, nowMs: number): number | undefined => {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
  const text = String(raw).trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
};

/** Why the last failure of a call was not retried. */
type StopReason = 'not retryable' | 'retries exhausted' | 'time budget exhausted';

/** How one call ended: a 2xx answer, or its last failure and why it was not retried. */
type CallOutcome =
  | { ok: true; response: HttpResponse; attempts: number }
  | { ok: false; failure: HttpResponse | HttpTransportError; attempts: number; stopReason: StopReason };

interface CallRetryOptions {
  settings: RetrySettings;
  /** The call must be over by then (ms since epoch, on `now`'s clock). */
  deadline: number;
  now: () => number;
  /** Source of jitter in [0, 1). */
  random: () => number;
  /** Told of each retry as it is made (the consumer counts them as a metric). */
  onRetry?: () => void;
}

/**
 * Makes one call that must finish by `deadline`: attempts `send` (given each
 * attempt's timeout) until it answers 2xx, or the failure is not retryable, or
 * the retries run out, or the next attempt would start too late. 429, 5xx and
 * transient network failures are retried after an exponential backoff with full
 * jitter, and at least Port's `Retry-After`; every attempt's timeout is clipped
 * to what is left before the deadline.
 */
const callWithRetries = async (send: (timeoutMs: number) => Promise<HttpResponse>, options: CallRetryOptions): Promise<CallOutcome> => {
  const { settings, deadline, now, random } = options;
  let attempts = 1;
  let timeoutMs = Math.max(MIN_ATTEMPT_MS, Math.min(settings.timeoutMs, deadline - now()));
  for (let retries = 0; ; retries++) {
    let failure: HttpResponse | HttpTransportError;
    try {
      const response = await send(timeoutMs);
      if (response.status >= 200 && response.status < 300) return { ok: true, response, attempts };
      failure = response;
    } catch (error) {
      if (!(error instanceof HttpTransportError)) throw error;
      failure = error;
    }
    if (!isRetryableFailure(failure)) return { ok: false, failure, attempts, stopReason: 'not retryable' };
    if (retries >= settings.retries) return { ok: false, failure, attempts, stopReason: 'retries exhausted' };
    const cap = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** retries);
    const jittered = Math.floor(random() * cap);
    const retryAfterMs = failure instanceof HttpTransportError ? undefined : parseRetryAfter(failure.headers['retry-after'], now());
    // Retry-After is a floor, not capped by maxDelayMs: Port asked us to wait that long.
    const delay = Math.max(jittered, retryAfterMs ?? 0);
    if (now() + delay + MIN_ATTEMPT_MS > deadline) return { ok: false, failure, attempts, stopReason: 'time budget exhausted' };
    attempts += 1;
    options.onRetry?.();
    timeoutMs = Math.max(MIN_ATTEMPT_MS, Math.min(settings.timeoutMs, deadline - now() - delay));
    if (delay > 0) await sleep(delay);
  }
};

export type { CallOutcome, CallRetryOptions, RetrySettings, StopReason };
export { callWithRetries, DEFAULT_RETRY_SETTINGS, isRetryableFailure, isRetryableStatus, MIN_ATTEMPT_MS, parseRetryAfter };
