import type { AxiosError, AxiosRequestConfig } from 'axios';
import type { IAxiosRetryConfig } from 'axios-retry';

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
 * so POST and PATCH are retried too, unlike axios-retry's default condition.
 * ECONNABORTED/ETIMEDOUT are axios timeouts (axios-retry's isNetworkError excludes them).
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
  'UND_ERR_SOCKET',
  'ERR_NETWORK',
]);

const isRetryableStatus = (status: number): boolean => status === 429 || (status >= 500 && status <= 599);

/** True for 429, 5xx and transient network failures (no answer). */
const isRetryableFailure = (error: AxiosError): boolean => {
  if (error.response) return isRetryableStatus(error.response.status);
  return error.code !== undefined && RETRYABLE_NETWORK_CODES.has(error.code);
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

interface CallRetryState {
  /** HTTP attempts made so far. */
  attempts: number;
  stopReason: StopReason;
}

interface CallRetryPlan {
  /** Per-request axios-retry options (they override the instance defaults). */
  axiosRetry: IAxiosRetryConfig;
  /** Timeout of the first attempt, already clipped to the deadline. */
  firstTimeoutMs: number;
  state: CallRetryState;
}

/**
 * Builds the axios-retry options for one call that must finish by `deadline`.
 * retryCondition decides *and* picks the delay (it must know the delay to check the
 * budget); the delay is handed to retryDelay through a WeakMap keyed by the error,
 * because axios-retry calls both with the same error object.
 */
const planCallRetries = (
  settings: RetrySettings,
  deadline: number,
  now: () => number,
  random: () => number,
  /** Told of each retry as it is made (the consumer counts them as a metric). */
  onRetry?: () => void,
): CallRetryPlan => {
  const state: CallRetryState = { attempts: 1, stopReason: 'retries exhausted' };
  const plannedDelay = new WeakMap<AxiosError, number>();
  let retriesPlanned = 0;

  const retryCondition = (error: AxiosError): boolean => {
    if (!isRetryableFailure(error)) {
      state.stopReason = 'not retryable';
      return false;
    }
    if (retriesPlanned >= settings.retries) {
      state.stopReason = 'retries exhausted';
      return false;
    }
    const cap = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** retriesPlanned);
    const jittered = Math.floor(random() * cap);
    const retryAfterMs = parseRetryAfter(error.response?.headers['retry-after'], now());
    // Retry-After is a floor, not capped by maxDelayMs: Port asked us to wait that long.
    const delay = Math.max(jittered, retryAfterMs ?? 0);
    if (now() + delay + MIN_ATTEMPT_MS > deadline) {
      state.stopReason = 'time budget exhausted';
      return false;
    }
    retriesPlanned += 1;
    plannedDelay.set(error, delay);
    return true;
  };

  const retryDelay = (_retryCount: number, error: AxiosError): number => plannedDelay.get(error) ?? 0;

  const onAttemptRetry = (_retryCount: number, error: AxiosError, config: AxiosRequestConfig): void => {
    state.attempts += 1;
    onRetry?.();
    const remaining = deadline - now() - (plannedDelay.get(error) ?? 0);
    config.timeout = Math.max(MIN_ATTEMPT_MS, Math.min(settings.timeoutMs, remaining));
  };

  return {
    axiosRetry: {
      retries: settings.retries,
      retryCondition,
      retryDelay,
      onRetry: onAttemptRetry,
      // We size each attempt's timeout ourselves in onRetry.
      shouldResetTimeout: true,
    },
    firstTimeoutMs: Math.max(MIN_ATTEMPT_MS, Math.min(settings.timeoutMs, deadline - now())),
    state,
  };
};

export type { CallRetryPlan, CallRetryState, RetrySettings, StopReason };
export {
  DEFAULT_RETRY_SETTINGS,
  MIN_ATTEMPT_MS,
  isRetryableFailure,
  isRetryableStatus,
  parseRetryAfter,
  planCallRetries,
};
