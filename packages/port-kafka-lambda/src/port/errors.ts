import { ConfigError, PortKafkaError } from '../errors.js';

/**
 * Errors of the Port API client. None of them ever carries the access token, the
 * client secret or request headers: a socket error is replaced by a
 * {@link TransportError} holding only its code and message before it becomes a
 * `cause`, and answers are reduced to their status, Port's error fields and trace id.
 */

/** HTTP method names as sent to Port. */
type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Base of every error raised while talking to Port. `retryable` tells the caller whether a later attempt may succeed. */
class PortError extends PortKafkaError {
  readonly retryable: boolean;

  constructor(message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PortError';
    this.retryable = retryable;
  }
}

/** Port answered with a non-2xx status that is final (or became final: see `retryable`). */
class PortApiError extends PortError {
  readonly status: number;
  readonly method: HttpMethod;
  readonly path: string;
  /** Port's machine-readable `error` field, e.g. `not_found`. */
  readonly portError: string | undefined;
  /** Port's human-readable `message` field. */
  readonly portMessage: string | undefined;
  /** Port's `x-trace-id` response header, useful when contacting Port support. */
  readonly traceId: string | undefined;

  constructor(fields: {
    status: number;
    method: HttpMethod;
    path: string;
    portError?: string | undefined;
    portMessage?: string | undefined;
    traceId?: string | undefined;
    retryable: boolean;
    cause?: unknown;
  }) {
    const detail = fields.portError ? ` (${fields.portError}${fields.portMessage ? `: ${fields.portMessage}` : ''})` : '';
    super(`Port API ${fields.method} ${fields.path} answered ${fields.status}${detail}`, fields.retryable, {
      cause: fields.cause,
    });
    this.name = 'PortApiError';
    this.status = fields.status;
    this.method = fields.method;
    this.path = fields.path;
    this.portError = fields.portError;
    this.portMessage = fields.portMessage;
    this.traceId = fields.traceId;
  }
}

/** Port could not be reached, or kept failing (429/5xx/network) until the retries or the time budget ran out. */
class PortUnavailableError extends PortError {
  readonly method: HttpMethod;
  readonly path: string;
  /** How many HTTP attempts were made. */
  readonly attempts: number;
  /** Status of the last answer, when the last failure was an HTTP answer. */
  readonly status: number | undefined;
  /** Network error code of the last failure (ECONNRESET, ETIMEDOUT...), when there was no answer. */
  readonly code: string | undefined;

  constructor(fields: {
    method: HttpMethod;
    path: string;
    attempts: number;
    status?: number | undefined;
    code?: string | undefined;
    reason: string;
    /** Default true; false for a network failure that another attempt will not fix (e.g. ENOTFOUND). */
    retryable?: boolean;
    cause?: unknown;
  }) {
    const last = fields.status !== undefined ? `status ${fields.status}` : (fields.code ?? 'network error');
    super(
      `Port API ${fields.method} ${fields.path} unavailable after ${fields.attempts} attempt(s), last: ${last} (${fields.reason})`,
      fields.retryable ?? true,
      { cause: fields.cause }
    );
    this.name = 'PortUnavailableError';
    this.method = fields.method;
    this.path = fields.path;
    this.attempts = fields.attempts;
    this.status = fields.status;
    this.code = fields.code;
  }
}

/** Port rejected the client credentials, or rejected a freshly issued token. Not retryable: fix the credentials. */
class PortAuthError extends PortError {
  readonly status: number | undefined;
  readonly portError: string | undefined;
  readonly portMessage: string | undefined;

  constructor(
    message: string,
    fields: { status?: number | undefined; portError?: string | undefined; portMessage?: string | undefined } = {},
    options?: ErrorOptions
  ) {
    super(message, false, options);
    this.name = 'PortAuthError';
    this.status = fields.status;
    this.portError = fields.portError;
    this.portMessage = fields.portMessage;
  }
}

/** Port answered 2xx with a body that does not have the documented shape. */
class PortResponseError extends PortError {
  readonly method: HttpMethod;
  readonly path: string;

  constructor(method: HttpMethod, path: string, detail: string, options?: ErrorOptions) {
    super(`Port API ${method} ${path} returned an unexpected body: ${detail}`, false, options);
    this.name = 'PortResponseError';
    this.method = method;
    this.path = path;
  }
}

/** The configured Port region / base URL is not usable. `value` is the offending (non-secret) setting. */
class PortBaseUrlError extends ConfigError {
  readonly value: string;

  constructor(value: string, reason: string, options?: ErrorOptions) {
    super(`Invalid Port API base URL ${JSON.stringify(value)}: ${reason}`, options);
    this.name = 'PortBaseUrlError';
    this.value = value;
  }
}

/** Port client credentials could not be loaded. Never carries the secret string or its parse error. */
class PortCredentialsError extends PortKafkaError {
  readonly retryable: boolean;

  constructor(message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PortCredentialsError';
    this.retryable = retryable;
  }
}

/** An encrypted secret input could not be decrypted (malformed, truncated, tampered with, or wrong key). */
class SecretInputDecryptionError extends PortKafkaError {
  constructor(message: string) {
    super(message);
    this.name = 'SecretInputDecryptionError';
  }
}

/**
 * A sanitized stand-in for a transport error (a Node socket error or a timeout): code and
 * message only. Used as `cause` so no request config (headers, body) leaks.
 */
class TransportError extends PortKafkaError {
  readonly code: string | undefined;

  constructor(message: string, code: string | undefined) {
    super(message);
    this.name = 'TransportError';
    this.code = code;
  }
}

export type { HttpMethod };
export {
  PortApiError,
  PortAuthError,
  PortBaseUrlError,
  PortCredentialsError,
  PortError,
  PortResponseError,
  PortUnavailableError,
  SecretInputDecryptionError,
  TransportError,
};
