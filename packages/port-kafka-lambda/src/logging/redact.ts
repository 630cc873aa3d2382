/**
 * Keys whose values must never reach a log line: Port client secrets, tokens,
 * passwords, and anything a user named "secret". Matched case-insensitively
 * anywhere in the key, so `clientSecret`, `X-Api-Token` and `db_password` all hit.
 */
const SECRET_KEY = /secret|passw(or)?d|token|authori[sz]ation|api[-_]?key|credential|private[-_]?key|cookie/i;

const REDACTED = '[REDACTED]';

/**
 * A JSON.stringify replacer that masks secret-looking keys. Installed on the
 * logger so that even an accidental `logger.info('x', { config })` is safe.
 */
const redactSecrets = (key: string, value: unknown): unknown =>
  key !== '' && SECRET_KEY.test(key) && value !== undefined && value !== null ? REDACTED : value;

export { REDACTED, redactSecrets, SECRET_KEY };
